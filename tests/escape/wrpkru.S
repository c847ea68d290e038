/* vx-expect: 132 invalid instruction */
/* vx-native: escapes */
#include "escape.inc"
_start:
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        ESCAPED
