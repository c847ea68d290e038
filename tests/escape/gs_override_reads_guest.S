/* vx-expect: 139 page fault */
#include "escape.inc"
_start:
        mov %gs:0x100, %eax
        ESCAPED
