/* vx-expect: 4 */
/* vx-native: escapes */
/* Self-modifying code through /proc/self/mem, which writes through page
 * protections: a stub in read-only text runs once, pwrite64 on the process's
 * own memory file puts ljmp $0x33, ... over it, and it runs again. Natively
 * the new code escapes; vx grants no /proc, so the open fails (exit 4). */
#include "escape.inc"
_start:
        mov $5, %eax                    /* open("/proc/self/mem", O_RDWR) */
        mov $path, %ebx
        mov $2, %ecx
        xor %edx, %edx
        int $0x80
        test %eax, %eax
        js 2f
        mov %eax, %edi                  /* the file */
        xor %ebp, %ebp
again:  jmp stub
back:   test %ebp, %ebp
        jnz 1f
        inc %ebp
        mov $181, %eax                  /* pwrite64(fd, new_code, 8, stub) */
        mov %edi, %ebx
        mov $new_code, %ecx
        mov $8, %edx
        mov $stub, %esi
        xor %edi, %edi                  /* the offset's high half */
        int $0x80
        mov %ebx, %edi
        cmp $8, %eax
        jne 2f
        jmp again
1:      EXIT 3
2:      EXIT 4
        .balign 8
stub:   jmp back                        /* 8 bytes of room */
        .balign 8, 0x90
        ESCAPED64 in_64bit_mode
        .data
path:   .asciz "/proc/self/mem"
        LJMP64_BYTES new_code
