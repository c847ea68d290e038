# ALU instructions on registers and guest memory: every memory access gets
# %gs and a 32-bit address size; lea only computes an address (no %gs); esp
# becomes r12d; an absolute address in the upper 2 GiB keeps a 32-bit
# address size; a lock prefix survives.
        .text
        add %ebx, %eax
        sub $7, %ecx
        add 4(%ebx), %eax
        and %edx, -8(%esi,%edi,4)
        xor 0x2000, %ecx
        movl $0x12345678, 0x90000000
        mov 8(%esp), %eax
        lea 12(%ebx,%ecx,2), %edx
        movzbl (%esi), %eax
        lock xadd %eax, (%ebx)
        inc %ah
        ret
