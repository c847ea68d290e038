/* vx-expect: 139 page fault */
/* vx-native: escapes */
/* A jump into the vDSO's __kernel_vsyscall (AT_SYSINFO, or 0xffffe000 where
 * the auxiliary vector has none) with a pushed return address, doing
 * write(1, marker, 8). */
#include "escape.inc"
        .set AT_SYSINFO, 32
_start:
        AUXV AT_SYSINFO
        test %eax, %eax
        jnz 1f
        mov $0xffffe000, %eax
1:      mov %eax, %esi
        mov $4, %eax
        mov $1, %ebx
        mov $escape_marker, %ecx
        mov $8, %edx
        push $after
        jmp *%esi
after:  cmp $8, %eax
        jne 2f
        EXIT 99
2:      EXIT 3
