/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
#include "escape.inc"
_start:
        sidt buf
        .bss
buf:    .space 8
        .text
        ESCAPED
