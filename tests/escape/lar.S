/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
#include "escape.inc"
_start:
        mov $0x23, %eax
        lar %eax, %ebx
        ESCAPED
