/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far return to the 64-bit code segment. */
#include "escape.inc"
_start:
        push $USER64_CS
        push $in_64bit_mode
        lret
        EXIT 3
        ESCAPED64 in_64bit_mode
