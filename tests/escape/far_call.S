/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A direct far call to the 32-bit user code segment. */
#include "escape.inc"
_start:
        lcall $USER32_CS, $target
        EXIT 3
target: ESCAPED
