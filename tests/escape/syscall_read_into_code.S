/* vx-expect: 0  */
#include "escape.inc"
_start:
        mov $3, %eax
        xor %ebx, %ebx
        mov $_start, %ecx
        mov $16, %edx
        int $0x80
        cmp $-14, %eax
        jne 1f
        EXIT 0
1:      EXIT 1
        ESCAPED
