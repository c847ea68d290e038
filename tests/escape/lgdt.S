/* vx-expect: 139 privileged instruction */
/* vx-native: 139 */
#include "escape.inc"
_start:
        lgdt buf
        .bss
buf:    .space 8
        .text
        ESCAPED
