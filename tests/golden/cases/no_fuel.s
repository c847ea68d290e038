# The fuel case's code with fuel counting off: no prologue, no refunds.
        .text
top:
        add $1, %eax
        int $0x80
        add $2, %eax
        cmp $10, %eax
        jne top
        rep movsb
        jmp *%ebx
