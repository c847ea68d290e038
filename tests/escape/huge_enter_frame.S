/* vx-expect: 139 page fault */
/* vx-native: 139 */
#include "escape.inc"
/* enter frames of 64 KiB, each touched, until the stack runs out. */
_start:
1:      enter $0xfff0, $0
        movl $1, (%esp)
        jmp 1b
        ESCAPED
