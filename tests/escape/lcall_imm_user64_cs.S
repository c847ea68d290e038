/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A direct far call to the 64-bit code segment 0x33: natively the callee runs
 * in 64-bit mode with the host's own system calls. */
#include "escape.inc"
_start:
        lcall $USER64_CS, $in_64bit_mode
        EXIT 3
        ESCAPED64 in_64bit_mode
