/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* pop %ds of the 32-bit user code segment 0x23, then a read through %ds. */
#include "escape.inc"
_start:
        push $USER32_CS
        pop %ds
        mov %ds, %ecx
        cmp $USER32_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %ds:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
