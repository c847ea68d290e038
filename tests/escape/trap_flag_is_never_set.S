/* vx-expect: 0  */
/* vx-native: 133 */
#include "escape.inc"
_start:
        pushf
        orl $0x100, (%esp)
        popf
        nop
        pushf
        pop %eax
        test $0x100, %eax
        jnz 1f
        EXIT 0
1:      EXIT 1
        ESCAPED
