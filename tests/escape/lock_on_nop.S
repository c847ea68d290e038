/* vx-expect: 132 invalid instruction */
#include "escape.inc"
_start:
        .byte 0xf0, 0x90
        ESCAPED
