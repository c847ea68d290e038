/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        lgdt buf
        .bss
buf:    .space 8
        .text
        ESCAPED
