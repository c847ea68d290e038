/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        push $0x33
        push $0
        lret
        ESCAPED
