/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
#include "escape.inc"
_start:
        push %cs
        ESCAPED
