/* vx-expect: 3 */
/* vx-native: escapes */
/* Self-modifying code from another process: a shared RWX anonymous page
 * holds a stub (jmp *%edx, back), the parent runs it, a forked child writes
 * ljmp $0x33, ... over it and exits, and the parent runs it again. Natively
 * the child's code escapes; vx runs the parent's stale translation: a
 * write by another process to shared memory does not fault in this one (a
 * known gap, docs/SECURITY.md). The stale code was checked when it was
 * translated; the second pass through the old stub, over the new bytes,
 * exits 3. */
#include "escape.inc"
_start:
        mov $192, %eax                  /* mmap2(0, 4096, rwx, shared|anonymous) */
        xor %ebx, %ebx
        mov $4096, %ecx
        mov $7, %edx
        mov $0x21, %esi
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
        mov $2, %eax                    /* fork */
        int $0x80
        test %eax, %eax
        js 2f
        jnz parent
        mov new_code, %eax              /* the child rewrites the stub */
        mov %eax, (%edi)
        mov new_code+4, %eax
        mov %eax, 4(%edi)
        EXIT 0
parent: mov %eax, %ebx                  /* wait4(child, 0, 0, 0) */
        mov $114, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        xor %esi, %esi
        int $0x80
        mov $back, %edx
        jmp again
1:      EXIT_STALE_IF_REWRITTEN (%edi), new_code  /* the old stub ran again */
2:      EXIT 4
        ESCAPED64 in_64bit_mode
        .data
        LJMP64_BYTES new_code
