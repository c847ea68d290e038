/* vx-expect: 139 page fault */
#include "escape.inc"
_start:
        mov $0xdeadbeef, %eax
        jmp *%eax
        ESCAPED
