/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
#include "escape.inc"
_start:
        push $0x2b
        pop %es
        ESCAPED
