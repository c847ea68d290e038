/* vx-expect: 139 page fault */
/* vx-native: escapes */
/* A call into the vDSO's __kernel_vsyscall, found through AT_SYSINFO in the
 * auxiliary vector (or, where there is none, at the classic fixed 0xffffe000),
 * with write(1, marker, 8): natively code the kernel mapped, untranslated. */
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
        call *%esi
        cmp $8, %eax
        jne 2f
        EXIT 99
2:      EXIT 3
