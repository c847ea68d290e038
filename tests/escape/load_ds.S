/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
#include "escape.inc"
_start:
        mov $0x2b, %eax
        mov %eax, %ds
        ESCAPED
