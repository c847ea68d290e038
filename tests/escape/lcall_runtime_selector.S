/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far call whose selector is computed at run time: %ss (0x2b) plus 8 is
 * the 64-bit code segment, pushed to form a far pointer on the stack. */
#include "escape.inc"
_start:
        mov %ss, %eax
        lea 8(%eax), %eax
        push %eax
        push $in_64bit_mode
        lcall *(%esp)
        EXIT 3
        ESCAPED64 in_64bit_mode
