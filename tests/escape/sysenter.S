/* vx-expect: 132 invalid instruction */
/* vx-native: escapes */
/* sysenter as a second system call door: natively it is the kernel's fast
 * path and this write prints the marker (the return lands in the vDSO). */
#include "escape.inc"
_start:
        mov $4, %eax
        mov $1, %ebx
        mov $escape_marker, %ecx
        mov $8, %edx
        mov %esp, %ebp
        sysenter
        EXIT 3
