/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        ljmp *farptr
        .data
farptr: .long 0
        .word 0x33
        .text
        ESCAPED
