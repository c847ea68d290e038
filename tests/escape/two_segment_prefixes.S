/* vx-expect: 132 invalid instruction */
/* vx-native: 139 */
#include "escape.inc"
_start:
        .byte 0x64, 0x65, 0x8b, 0x00
        ESCAPED
