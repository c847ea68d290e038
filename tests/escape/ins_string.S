/* vx-expect: 139 privileged instruction */
/* vx-native: 139 */
#include "escape.inc"
_start:
        mov $buf, %edi
        insb
        .bss
buf:    .space 4
        .text
        ESCAPED
