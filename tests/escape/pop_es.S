/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        push $0x2b
        pop %es
        ESCAPED
