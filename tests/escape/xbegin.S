/* vx-expect: 132 invalid instruction */
#include "escape.inc"
_start:
        xbegin 1f
1:
        ESCAPED
