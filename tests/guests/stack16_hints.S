/* 16-bit pushes and pops (a 66 prefix: two bytes, esp moving by 2) of
 * registers, immediates and memory, pushaw/popaw; and the hints that do
 * nothing: the reserved NOPs (0f 19-1f, their memory never touched, even
 * when it is not mapped), cldemote and rdsspd. Each result is printed. */
        .text
        .globl _start
_start:
        mov %esp, %ebp
        mov $0x11112222, %eax
        .byte 0x66, 0x50                /* push %ax */
        mov %ebp, %eax
        sub %esp, %eax                  /* 2: esp moved by two */
        call report
        movzwl (%esp), %eax             /* 0x2222 */
        call report
        .byte 0x66, 0x6a, 0xfe          /* pushw $-2: sign-extended to 16 bits */
        movl (%esp), %eax               /* 0x2222fffe */
        call report
        .byte 0x66, 0x68, 0x34, 0x12    /* pushw $0x1234 */
        mov $0xaaaabbbb, %ecx
        .byte 0x66, 0x59                /* pop %cx: only cx changes */
        mov %ecx, %eax                  /* 0xaaaa1234 */
        call report
        .byte 0x66, 0xff, 0x35          /* pushw value: a word from memory */
        .long value
        .byte 0x66, 0x8f, 0x05          /* popw value+2: to memory */
        .long value+2
        mov value, %eax                 /* 0xfbadfbad */
        call report
        .byte 0x66, 0x8f, 0x04, 0x24    /* popw (%esp): its address taken after the pop */
        mov %ebp, %eax
        sub %esp, %eax                  /* 2: one word left */
        call report
        movzwl (%esp), %eax             /* 0xfffe: the word popped, stored over the next */
        call report
        mov %ebp, %esp

        mov $0x01010101, %eax
        mov $0x02020202, %ecx
        mov $0x03030303, %edx
        mov $0x04040404, %ebx
        mov $0x05050505, %esi
        mov $0x06060606, %edi
        push %ebp
        mov $0x07070707, %ebp
        .byte 0x66, 0x60                /* pushaw: ax cx dx bx sp bp si di */
        mov $16, %eax
        call report
        movzwl 6(%esp), %eax            /* the sp pushed: esp's low half before */
        lea 16(%esp), %ecx
        movzwl %cx, %ecx
        sub %ecx, %eax                  /* 0 */
        call report
        movw $0x0a0a, 14(%esp)          /* ax's slot */
        movw $0x0b0b, 0(%esp)           /* di's slot */
        movw $0x0c0c, 6(%esp)           /* sp's slot: skipped */
        mov $0xffffffff, %eax
        mov %eax, %edi
        .byte 0x66, 0x61                /* popaw */
        call report                     /* 0xffff0a0a */
        mov %edi, %eax                  /* 0xffff0b0b */
        call report
        pop %ebp
        mov %ebp, %eax
        sub %esp, %eax                  /* 0: esp back where it was */
        call report

        /* The hints: nothing happens, nothing is read. */
        mov $0x600d, %eax
        .byte 0x0f, 0x1e, 0xc0          /* nop %eax, %eax (0f 1e without f3) */
        .byte 0x0f, 0x19, 0x05          /* nop 0x10: a page never mapped */
        .long 0x10
        .byte 0x0f, 0x1c, 0x05          /* cldemote 0x10 */
        .long 0x10
        .byte 0xf3, 0x0f, 0x1e, 0xc8    /* rdsspd %eax: the shadow stack is off */
        .byte 0x0f, 0x1f, 0x44, 0x00, 0x00
        call report                     /* 0x600d */

        mov $1, %eax
        xor %ebx, %ebx
        int $0x80

#include "report.inc"

        .data
value:  .long 0xdecafbad
        .section .note.GNU-stack,"",@progbits
