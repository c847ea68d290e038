/* vx-expect: 139 page fault */
#include "escape.inc"
_start:
        push $0x00001000
        ret
        ESCAPED
