/* vx-expect: 132 invalid instruction */
#include "escape.inc"
_start:
        syscall
        ESCAPED
