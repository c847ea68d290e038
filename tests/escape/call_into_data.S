/* vx-expect: 139 page fault */
/* vx-native: 139 */
#include "escape.inc"
_start:
        call data_label
        .data
data_label: .byte 0x90, 0xc3
        .text
        ESCAPED
