/* vx-expect: 0  */
/* vx-native: 0 */
#include "escape.inc"
_start:
        std
        pushf
        orl $0x40000, (%esp)
        popf
        movl $0, mxcsr
        ldmxcsr mxcsr
        movw $0x0040, cw
        fldcw cw
        mov $4, %eax
        mov $1, %ebx
        mov $msg, %ecx
        mov $3, %edx
        int $0x80
        cmp $3, %eax
        jne 1f
        EXIT 0
1:      EXIT 1
        .data
msg:    .ascii "ok\n"
        .bss
        .align 4
mxcsr:  .space 4
cw:     .space 2
        .text
        ESCAPED
