# translate_dump: --fuel
# With fuel counting on: the block takes its instructions from r9 at its
# start and checks the fuel window; each exit from inside it gives back
# those that did not run (a system call counts as run).
        .text
top:
        add $1, %eax
        int $0x80
        add $2, %eax
        cmp $10, %eax
        jne top
        rep movsb
        jmp *%ebx
