# x86-64 cannot encode ah/bh/ch/dh beside r12, where esp lives: esp is
# exchanged with a guest register the instruction does not name, for that
# instruction only (its records say so, for a fault inside it).
        .text
        mov %ah, 4(%esp)
        mov 8(%esp,%ebp), %bh
        add %ch, (%esp)
        cmpb %dh, 1(%esp,%eax,2)
        mov 4(%esp), %al
        ret
