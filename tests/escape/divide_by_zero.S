/* vx-expect: 136 divide error */
#include "escape.inc"
_start:
        xor %ecx, %ecx
        div %ecx
        ESCAPED
