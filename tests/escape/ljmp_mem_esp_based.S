/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far jump through a far pointer built on the stack and addressed through
 * %esp (esp lives in another register under vx), to the 64-bit code segment. */
#include "escape.inc"
_start:
        push $USER64_CS
        push $in_64bit_mode
        push $0
        ljmp *4(%esp)
        EXIT 3
        ESCAPED64 in_64bit_mode
