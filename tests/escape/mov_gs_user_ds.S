/* vx-expect: 139 general protection */
/* vx-native: escapes */
/* mov to %gs, from a register, of the host's flat data segment 0x2b, then a
 * read through %gs. */
#include "escape.inc"
_start:
        mov $USER_DS, %eax
        mov %eax, %gs
        mov %gs, %ecx
        cmp $USER_DS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %gs:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
