/* vx-expect: 133 breakpoint */
#include "escape.inc"
_start:
        .byte 0xf1
        ESCAPED
