/* vx-expect: 132 invalid instruction */
/* vx-native: 139 */
#include "escape.inc"
_start:
        mov $0, %esi
        mov $buf, %edi
        .byte 0x64
        movsb
        .bss
buf:    .space 16
        .text
        ESCAPED
