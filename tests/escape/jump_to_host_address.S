/* vx-expect: 139 page fault */
/* vx-native: 139 */
#include "escape.inc"
_start:
        mov $0xdeadbeef, %eax
        jmp *%eax
        ESCAPED
