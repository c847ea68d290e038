/* salc (d6): al is 0xff when the carry is set, 0 when it is clear; the
 * rest of eax and the flags stay. Each result is printed. */
        .text
        .globl _start
_start:
        mov $0x12345678, %eax
        stc
        .byte 0xd6                      /* salc */
        call report                     /* 0x123456ff */
        mov $0x12345678, %eax
        clc
        .byte 0xd6
        call report                     /* 0x12345600 */
        mov $0x7fffffff, %eax
        add $1, %eax                    /* OF, SF, AF, PF set; CF clear */
        .byte 0xd6
        pushf
        pop %eax
        and $0x8d5, %eax                /* the flags salc left */
        call report                     /* 0x894 */
        mov $1, %eax
        xor %ebx, %ebx
        int $0x80

#include "report.inc"
        .section .note.GNU-stack,"",@progbits
