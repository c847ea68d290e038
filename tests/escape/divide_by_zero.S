/* vx-expect: 136 divide error */
/* vx-native: 136 */
#include "escape.inc"
_start:
        xor %ecx, %ecx
        div %ecx
        ESCAPED
