# Indirect branches: the target goes to r10d, and the lookup table inline at
# each branch finds its translation (or the miss path).
        .text
        jmp *%eax
        call *8(%ebx)
        call *%esi
        jmp *0x2000
