/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* modify_ldt makes LDT entry 0 a 16-bit code segment based at a piece of
 * .code16 code, and a far jump goes to its offset 0: natively the CPU runs
 * 16-bit code, which checks %cs and prints the marker with int $0x80. */
#include "escape.inc"
_start:
        WRITE_LDT ldt_entry
        ljmp $LDT_SELECTOR0, $0
        EXIT 3
        .code16
code16: mov %cs, %ax
        cmp $LDT_SELECTOR0, %ax
        jne 1f
        xor %ax, %ax                    /* 16-bit operand size: the upper half stays */
        dec %ax
        cmpl $0x0000ffff, %eax
        jne 1f
        movl $4, %eax
        movl $1, %ebx
        movl $escape_marker, %ecx
        movl $8, %edx
        int $0x80
        movl $1, %eax
        movl $99, %ebx
        int $0x80
1:      movl $1, %eax
        movl $4, %ebx
        int $0x80
        .code32
        .data
ldt_entry:
        .long 0, code16, 0xfff, USER_DESC_CODE16
