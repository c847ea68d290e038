/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far jump through a far pointer in memory, to the 64-bit code segment. */
#include "escape.inc"
_start:
        ljmp *farptr
        EXIT 3
        ESCAPED64 in_64bit_mode
        .data
farptr: .long in_64bit_mode
        .word USER64_CS
