/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* pop %fs of the host's flat data segment 0x2b, then a read through %fs. */
#include "escape.inc"
_start:
        push $USER_DS
        pop %fs
        mov %fs, %ecx
        cmp $USER_DS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %fs:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
