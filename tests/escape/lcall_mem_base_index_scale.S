/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far call through a far pointer addressed base + index*scale, to the
 * 32-bit user code segment 0x23; the callee checks the return frame the
 * far call pushed (eip, then cs). */
#include "escape.inc"
_start:
        mov $table, %ecx
        mov $3, %edx
        lcall *(%ecx,%edx,2)
returned:
        EXIT 3
target: cmpl $returned, (%esp)
        jne 1f
        cmpl $USER32_CS, 4(%esp)
        jne 1f
        ESCAPED
1:      EXIT 4
        .data
table:  .word 0, 0, 0
        .long target
        .word USER32_CS
