/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        int $0x21
        ESCAPED
