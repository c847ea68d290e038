/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far jump through a far pointer addressed base + index*scale + disp (the
 * third entry of a table), to the 64-bit code segment. */
#include "escape.inc"
_start:
        mov $table, %ebx
        mov $2, %esi
        ljmp *4(%ebx,%esi,8)
        EXIT 3
        ESCAPED64 in_64bit_mode
        .data
table:  .long 0, 0, 0, 0, 0
        .long in_64bit_mode
        .word USER64_CS
        .word 0
