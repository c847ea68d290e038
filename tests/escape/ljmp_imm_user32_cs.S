/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A direct far jump to the kernel's 32-bit user code segment 0x23: natively
 * it reloads %cs and lands at the target. */
#include "escape.inc"
_start:
        ljmp $USER32_CS, $target
        EXIT 3
target: ESCAPED
