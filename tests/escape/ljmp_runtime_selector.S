/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far jump whose selector is computed at run time: the code segment the
 * guest sees (0x23) plus 0x10 is the 64-bit one, stored into a far pointer. */
#include "escape.inc"
_start:
        mov %cs, %eax
        add $0x10, %eax
        mov %ax, farptr+4
        ljmp *farptr
        EXIT 3
        ESCAPED64 in_64bit_mode
        .data
farptr: .long in_64bit_mode
        .word 0
