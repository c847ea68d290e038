/* vx-expect: 132 invalid instruction */
/* vx-native: 132 */
#include "escape.inc"
_start:
        .byte 0xf0, 0x90
        ESCAPED
