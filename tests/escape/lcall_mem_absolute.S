/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far call through an m16:32 far pointer at an absolute address, to the
 * 64-bit code segment. */
#include "escape.inc"
_start:
        lcall *farptr
        EXIT 3
        ESCAPED64 in_64bit_mode
        .data
farptr: .long in_64bit_mode
        .word USER64_CS
