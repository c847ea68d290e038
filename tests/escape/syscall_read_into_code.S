/* vx-expect: 0 */
/* vx-native: 1 */
#include "escape.inc"
/* read(0, _start, 16): code pages are not writable: -EFAULT. */
_start:
        mov $3, %eax
        xor %ebx, %ebx
        mov $_start, %ecx
        mov $16, %edx
        int $0x80
        EXIT_IF_EAX -14
        ESCAPED
