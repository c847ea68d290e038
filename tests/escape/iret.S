/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* iret to the 64-bit code segment. */
#include "escape.inc"
_start:
        pushf
        push $USER64_CS
        push $in_64bit_mode
        iret
        EXIT 3
        ESCAPED64 in_64bit_mode
