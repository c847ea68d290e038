/* vx-expect: 132 invalid instruction */
#include "escape.inc"
_start:
        xor %ecx, %ecx
        xor %edx, %edx
        wrpkru
        ESCAPED
