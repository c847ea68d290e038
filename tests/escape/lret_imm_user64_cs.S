/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* lret $8 (a far return that also drops 8 bytes of arguments) to the 64-bit
 * code segment. */
#include "escape.inc"
_start:
        push $0
        push $0
        push $USER64_CS
        push $in_64bit_mode
        lret $8
        EXIT 3
        ESCAPED64 in_64bit_mode
