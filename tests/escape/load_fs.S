/* vx-expect: 139 general protection */
#include "escape.inc"
_start:
        mov $0x2b, %eax
        mov %eax, %fs
        ESCAPED
