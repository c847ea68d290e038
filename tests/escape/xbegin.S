/* vx-expect: 132 invalid instruction */
/* vx-native: escapes */
#include "escape.inc"
_start:
        xbegin 1f
1:
        ESCAPED
