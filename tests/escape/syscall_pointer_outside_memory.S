/* vx-expect: 0 */
/* vx-native: 0 */
#include "escape.inc"
/* write(1, 0xfffffff0, 32): the buffer is outside guest memory: -EFAULT. */
_start:
        mov $4, %eax
        mov $1, %ebx
        mov $0xfffffff0, %ecx
        mov $32, %edx
        int $0x80
        EXIT_IF_EAX -14
        ESCAPED
