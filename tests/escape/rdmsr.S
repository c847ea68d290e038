/* vx-expect: 139 privileged instruction */
/* vx-native: 139 */
#include "escape.inc"
_start:
        rdmsr
        ESCAPED
