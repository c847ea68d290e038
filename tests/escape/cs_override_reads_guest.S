/* vx-expect: 139 page fault */
#include "escape.inc"
_start:
        mov %cs:0x100, %eax
        ESCAPED
