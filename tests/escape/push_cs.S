/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        push %cs
        ESCAPED
