# translate_dump: --fuel --max-insns=3
# A block ends after its most instructions (here 3) with a jump to the next,
# a chaining site like any other. An instruction the translator refuses (BCD
# arithmetic) ends its block with a fault there, and the fuel of the
# instructions that did not run given back.
        .text
        add $1, %eax
        add $2, %eax
        add $3, %eax
        add $4, %eax
        daa
        ret
