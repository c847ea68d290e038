/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        .byte 0xf1
        ESCAPED
