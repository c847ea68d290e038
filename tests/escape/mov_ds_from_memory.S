/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* mov to %ds straight from memory (the m16 form) of the host's flat data
 * segment 0x2b, then a read through %ds. */
#include "escape.inc"
_start:
        mov selector, %ds
        mov %ds, %ecx
        cmp $USER_DS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %ds:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
selector: .word USER_DS
probe:  .long 0x5eedf00d
