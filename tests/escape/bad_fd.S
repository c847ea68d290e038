/* vx-expect: 0  */
/* vx-native: 0 */
#include "escape.inc"
_start:
        mov $4, %eax
        mov $7, %ebx
        mov $_start, %ecx
        mov $1, %edx
        int $0x80
        cmp $-9, %eax
        jne 1f
        EXIT 0
1:      EXIT 1
        ESCAPED
