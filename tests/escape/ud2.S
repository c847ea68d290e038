/* vx-expect: 132 invalid instruction */
/* vx-native: 132 */
#include "escape.inc"
_start:
        ud2
        ESCAPED
