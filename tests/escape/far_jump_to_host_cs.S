/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        ljmp $0x33, $0
        ESCAPED
