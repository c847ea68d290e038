/* vx-expect: 0 */
/* vx-native: 1 */
#include "escape.inc"
/* read(0, 0x100, 16): the lowest pages are never mapped: -EFAULT. */
_start:
        mov $3, %eax
        xor %ebx, %ebx
        mov $0x100, %ecx
        mov $16, %edx
        int $0x80
        EXIT_IF_EAX -14
        ESCAPED
