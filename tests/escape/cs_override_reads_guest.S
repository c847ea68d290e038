/* vx-expect: 139 page fault */
/* vx-native: 139 */
#include "escape.inc"
_start:
        mov %cs:0x100, %eax
        ESCAPED
