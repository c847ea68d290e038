/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A direct far jump to the 64-bit code segment: natively the process is in
 * 64-bit mode afterwards and owns the host's system calls. */
#include "escape.inc"
_start:
        ljmp $USER64_CS, $in_64bit_mode
        EXIT 3
        ESCAPED64 in_64bit_mode
