/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far return to the 32-bit user code segment 0x23. */
#include "escape.inc"
_start:
        push $USER32_CS
        push $target
        lret
        EXIT 3
target: ESCAPED
