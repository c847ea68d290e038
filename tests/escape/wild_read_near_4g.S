/* vx-expect: 139 access beyond guest memory */
/* vx-native: 139 */
#include "escape.inc"
_start:
        mov $0xffffffff, %ebx
        mov (%ebx), %eax
        ESCAPED
