/* lea with a 16-bit address size (a 67 prefix): bx, bp, si, di and a 16-bit
 * displacement summed modulo 64 KiB, zero-extended into a 32-bit register
 * or written to a 16-bit one's low half. Each result is printed. */
        .text
        .globl _start
_start:
        mov $0x1234fff0, %ebx
        mov $0xabcd0020, %esi
        mov $0x55550100, %edi
        mov $0x77778000, %ebp
        addr16 lea 3(%bx,%si), %eax     /* 0xfff0 + 0x20 + 3, cut: 0x0013 */
        call report
        addr16 lea -4(%bp,%di), %eax    /* 0x8000 + 0x100 - 4: 0x80fc */
        call report
        addr16 lea (%si), %eax          /* 0x0020 */
        call report
        addr16 lea 0x7fff(%di), %eax    /* 0x80ff */
        call report
        addr16 lea 0x1234, %eax         /* a displacement alone */
        call report
        mov $0xdeadbeef, %ecx
        addr16 lea 1(%bx,%di), %cx      /* 16-bit: the upper half stays, 0xdead00f1 */
        mov %ecx, %eax
        call report
        mov $0x600d, %eax
        call report
        mov $1, %eax
        xor %ebx, %ebx
        int $0x80

#include "report.inc"
        .section .note.GNU-stack,"",@progbits
