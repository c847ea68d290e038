/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far jump through an m16:32 far pointer at an absolute address, to the
 * 32-bit user code segment 0x23. */
#include "escape.inc"
_start:
        ljmp *farptr
        EXIT 3
target: ESCAPED
        .data
farptr: .long target
        .word USER32_CS
