/* vx-expect: 0 */
/* vx-native: 0 */
#include "escape.inc"
/* write(1, 0xfffffff0, 0x20000): a buffer that would wrap past 4 GiB: -EFAULT. */
_start:
        mov $4, %eax
        mov $1, %ebx
        mov $0xfffffff0, %ecx
        mov $0x20000, %edx
        int $0x80
        EXIT_IF_EAX -14
        ESCAPED
