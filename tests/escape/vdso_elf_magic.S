/* vx-expect: 139 access beyond guest memory */
/* vx-native: escapes */
/* A read of the vDSO's ELF header, at AT_SYSINFO_EHDR from the auxiliary
 * vector (or at the classic fixed 0xffffe000 where there is none): natively
 * the kernel's image, "\x7fELF". */
#include "escape.inc"
        .set AT_SYSINFO_EHDR, 33
_start:
        AUXV AT_SYSINFO_EHDR
        test %eax, %eax
        jnz 1f
        mov $0xffffe000, %eax
1:      cmpl $0x464c457f, (%eax)
        jne 2f
        ESCAPED
2:      EXIT 3
