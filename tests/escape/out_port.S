/* vx-expect: 139 privileged instruction */
/* vx-native: 139 */
#include "escape.inc"
_start:
        mov $0x80, %dx
        out %al, %dx
        ESCAPED
