# 16-bit stack operations (a 66 prefix): two bytes stored below esp before
# esp moves by 2, as the 32-bit ones do with four; pushaw/popaw with the
# low halves. Then a loop counting in cx (a 67 prefix): cx decremented in
# place through r13, tested zero-extended in rcx (borrowed, exchanged back
# on both ways), with no instruction that sets flags.
        .text
        pushw %ax
        pushw $-2
        pushw 8(%ebx)
        popw %cx
        popw 4(%esp)
        pushaw
        popaw
1:      addr16 loop 1b
