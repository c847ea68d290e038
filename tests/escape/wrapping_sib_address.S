/* vx-expect: 139 access beyond guest memory */
/* vx-native: 139 */
#include "escape.inc"
_start:
        mov $0xffff0000, %ebx
        mov $0x0fff0000, %ecx
        mov (%ebx,%ecx,8), %eax
        ESCAPED
