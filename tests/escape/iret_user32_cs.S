/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* iret to the 32-bit user code segment 0x23, with the current flags. */
#include "escape.inc"
_start:
        pushf
        push $USER32_CS
        push $target
        iret
        EXIT 3
target: ESCAPED
