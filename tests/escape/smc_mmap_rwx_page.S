/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Self-modifying code the JIT way: an anonymous RWX page gets a stub (jmp
 * *%edx, back to the caller), runs it, gets ljmp $0x33, ... over it, and runs
 * it again. Natively the new code escapes; vx notices the write (a page it
 * translated code from is write-protected), translates the new code and
 * refuses its far transfer; a stale run would exit 3. */
#include "escape.inc"
_start:
        mov $192, %eax                  /* mmap2(0, 4096, rwx, private|anonymous) */
        xor %ebx, %ebx
        mov $4096, %ecx
        mov $7, %edx
        mov $0x22, %esi
        mov $-1, %edi
        xor %ebp, %ebp
        int $0x80
        cmp $-4096, %eax
        jae 2f
        mov %eax, %edi                  /* the page */
        movw $0xe2ff, (%edi)            /* jmp *%edx */
        mov $back, %edx
        xor %ebp, %ebp
again:  jmp *%edi
back:   test %ebp, %ebp
        jnz 1f
        inc %ebp
        mov new_code, %eax
        mov %eax, (%edi)
        mov new_code+4, %eax
        mov %eax, 4(%edi)
        jmp again
1:      EXIT_STALE_IF_REWRITTEN (%edi), new_code  /* the old stub ran again */
2:      EXIT 4
        ESCAPED64 in_64bit_mode
        .data
        LJMP64_BYTES new_code
