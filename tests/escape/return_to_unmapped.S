/* vx-expect: 139 page fault */
/* vx-native: 139 */
#include "escape.inc"
_start:
        push $0x00001000
        ret
        ESCAPED
