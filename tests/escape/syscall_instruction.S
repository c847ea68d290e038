/* vx-expect: 132 invalid instruction */
/* vx-native: 132 */
#include "escape.inc"
_start:
        syscall
        ESCAPED
