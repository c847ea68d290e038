/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        lcall $0x23, $0
        ESCAPED
