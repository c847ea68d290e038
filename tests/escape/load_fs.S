/* vx-expect: 139 general protection */
/* vx-native: escapes */
#include "escape.inc"
_start:
        mov $0x2b, %eax
        mov %eax, %fs
        ESCAPED
