/* vx-expect: 132 invalid instruction */
#include "escape.inc"
_start:
        ud2
        ESCAPED
