/* vx-expect: 139 general protection */
/* vx-native: escapes */
/* mov to %gs, from a register, of the 32-bit user code segment 0x23, then
 * a read through %gs. */
#include "escape.inc"
_start:
        mov $USER32_CS, %eax
        mov %eax, %gs
        mov %gs, %ecx
        cmp $USER32_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %gs:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
