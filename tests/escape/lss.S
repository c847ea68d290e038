/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
#include "escape.inc"
_start:
        lss farptr, %esp
        .data
farptr: .long 0
        .word 0x2b
        .text
        ESCAPED
