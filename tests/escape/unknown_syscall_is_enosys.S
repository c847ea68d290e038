/* vx-expect: 0  */
/* vx-native: 0 */
#include "escape.inc"
_start:
        mov $17, %eax   /* break: unimplemented on Linux too */
        int $0x80
        cmp $-38, %eax
        jne 1f
        mov $0xffff, %eax
        int $0x80
        cmp $-38, %eax
        jne 1f
        EXIT 0
1:      EXIT 1
        ESCAPED
