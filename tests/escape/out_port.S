/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        mov $0x80, %dx
        out %al, %dx
        ESCAPED
