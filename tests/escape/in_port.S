/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        in $0x60, %al
        ESCAPED
