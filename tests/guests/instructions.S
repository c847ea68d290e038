/* A tour of integer instructions compilers and hand-written code use; each
 * result is printed in hex so any difference from the reference shows. */
        .text
        .globl _start
_start:
        /* arithmetic and flags */
        mov $0x7fffffff, %eax
        add $1, %eax
        pushf
        pop %eax
        and $0x8d5, %eax
        call report
        mov $5, %eax
        mov $3, %ecx
        sub %ecx, %eax
        sbb $0, %eax
        adc $0x10, %eax
        call report
        mov $0x12345678, %eax
        mov $0x9abcdef0, %edx
        mul %edx
        xor %edx, %eax
        call report
        mov $-7, %eax
        cltd
        mov $2, %ecx
        idiv %ecx
        shl $8, %eax
        or %edx, %eax
        call report
        mov $0x11111111, %eax
        imul $7, %eax, %eax
        call report
        /* bit operations */
        mov $0x00f00000, %eax
        bsf %eax, %ecx
        bsr %eax, %edx
        shl $8, %ecx
        or %edx, %ecx
        mov %ecx, %eax
        call report
        mov $0xf0f0f0f0, %eax
        popcnt %eax, %eax
        call report
        mov $0x00010000, %eax
        lzcnt %eax, %eax
        call report
        mov $0x12345678, %eax
        bswap %eax
        call report
        mov $0x80000001, %eax
        rol $4, %eax
        ror $1, %eax
        rcl $3, %eax
        call report
        mov $0xf0, %eax
        mov $4, %ecx
        shld %cl, %eax, %edx
        shrd $12, %edx, %eax
        call report
        mov $0x1234, %eax
        bts $31, %eax
        btr $2, %eax
        btc $4, %eax
        bt $31, %eax
        setc %cl
        movzbl %cl, %ecx
        add %ecx, %eax
        call report
        /* conditional moves and sets */
        mov $10, %eax
        mov $20, %ecx
        cmp %ecx, %eax
        cmovl %ecx, %eax
        setg %dl
        movzbl %dl, %edx
        add %edx, %eax
        call report
        /* byte registers, high halves, sign extension */
        mov $0x1234abcd, %eax
        mov %ah, %bl
        movsbl %bl, %ebx
        xchg %al, %ah
        add %ebx, %eax
        call report
        movw $0x8000, %ax
        cwtl
        call report
        /* stack forms: push/pop memory, pushad/popad, enter/leave, xlat */
        pushl value
        popl %eax
        call report
        mov $1, %eax
        mov $2, %ecx
        mov $3, %edx
        mov $4, %ebx
        mov $6, %ebp
        mov $7, %esi
        mov $8, %edi
        pusha
        xor %eax, %eax
        xor %ecx, %ecx
        xor %edx, %edx
        xor %ebx, %ebx
        xor %ebp, %ebp
        xor %esi, %esi
        xor %edi, %edi
        popa
        shl $4, %eax
        add %ecx, %eax
        shl $4, %eax
        add %edx, %eax
        shl $4, %eax
        add %ebx, %eax
        shl $4, %eax
        add %ebp, %eax
        shl $4, %eax
        add %esi, %eax
        shl $4, %eax
        add %edi, %eax
        call report
        mov %esp, %esi
        enter $64, $0
        movl $0x55, -4(%ebp)
        mov -4(%ebp), %eax
        leave
        sub %esp, %esi
        add %esi, %eax
        call report
        mov $table, %ebx
        mov $3, %eax
        xlat
        call report
        /* segment registers read as a Linux i386 program sees them */
        xor %eax, %eax
        mov %fs, %ax
        call report
        /* lahf/sahf, cmc/clc/stc, loop forms */
        stc
        cmc
        lahf
        movzbl %ah, %eax
        and $0xc5, %eax   /* AF is left undefined by the xor before */
        call report
        mov $5, %ecx
        xor %eax, %eax
1:      add %ecx, %eax
        loop 1b
        call report
        xor %ecx, %ecx
        jecxz 2f
        mov $0xbad, %eax
2:      call report
        /* cpuid, rdtsc, xgetbv, endbr32, multi-byte nops and rep ret run */
        xor %eax, %eax
        cpuid
        rdtsc
        xor %ecx, %ecx
        endbr32
        .byte 0x0f, 0x1f, 0x44, 0x00, 0x00
        .byte 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00
        call rep_ret
        mov $0x600d, %eax
        call report
        mov $1, %eax
        xor %ebx, %ebx
        int $0x80

rep_ret:
        rep ret

#include "report.inc"

        .data
value:  .long 0xdecafbad
table:  .byte 10, 20, 30, 40, 50
        .section .note.GNU-stack,"",@progbits
