/* vx-expect: 0  */
#include "escape.inc"
_start:
        mov $4, %eax
        mov $1, %ebx
        mov $0xfffffff0, %ecx
        mov $32, %edx
        int $0x80
        cmp $-14, %eax
        jne 1f
        EXIT 0
1:      EXIT 1
        ESCAPED
