/* jcxz, loop, loope and loopne with a 16-bit address size (a 67 prefix):
 * they count in cx, leave ecx's upper half and the flags alone, and wrap cx
 * from 0 to 0xffff. Each result is printed. */
        .text
        .globl _start
_start:
        /* jcxz: taken on cx alone, whatever ecx's upper half holds */
        mov $0x12340000, %ecx
        xor %eax, %eax
        jcxz 6f                         /* 67 e3 */
        mov $0xbad, %eax
6:      call report                     /* 0 */
        mov $0x00000001, %ecx
        mov $0x600d, %eax
        jcxz 7f
        mov $0x1234, %eax
7:      call report                     /* 0x1234 */

        /* loopw: three times round, ecx's upper half kept */
        mov $0xabcd0003, %ecx
        xor %eax, %eax
1:      inc %eax
        addr16 loop 1b                  /* 67 e2 */
        call report                     /* 3 */
        mov %ecx, %eax
        call report                     /* 0xabcd0000 */

        /* loopw from cx 0: wraps to 0xffff and goes round, upper half kept */
        mov $0x55550000, %ecx
        xor %eax, %eax
2:      inc %eax
        cmp $5, %eax
        je 3f
        addr16 loop 2b
3:      call report                     /* 5 */
        mov %ecx, %eax
        call report                     /* 0x5555fffc */

        /* the flags survive: carry set before, read after */
        mov $2, %ecx
        stc
        addr16 loop 8f                  /* to the next instruction either way */
8:
        setc %al
        movzbl %al, %eax
        call report                     /* 1 */

        /* loope stops when zf is clear, loopne when it is set */
        mov $10, %ecx
        xor %eax, %eax
4:      inc %eax
        cmp $3, %eax
        addr16 loope 4b                 /* 67 e1: round while zf (eax == 3), so once */
        call report                     /* 1 */
        mov %ecx, %eax
        call report                     /* 9 */
        mov $10, %ecx
        xor %eax, %eax
5:      inc %eax
        cmp $3, %eax
        addr16 loopne 5b                /* 67 e0: round while eax != 3 */
        call report                     /* 3 */
        mov %ecx, %eax
        call report                     /* 7 */

        mov $1, %eax
        xor %ebx, %ebx
        int $0x80

#include "report.inc"
        .section .note.GNU-stack,"",@progbits
