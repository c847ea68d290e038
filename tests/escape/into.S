/* vx-expect: 139 privileged instruction */
/* vx-native: 139 */
#include "escape.inc"
_start:
        mov $0x7fffffff, %eax
        add $1, %eax
        into
        ESCAPED
