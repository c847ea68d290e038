# Direct branches leave through exit stubs: each rel32 is a chaining site
# that starts at its stub. A branch back to a block already translated is
# chained to it at once; a branch to the block's own start goes there.
        .text
top:
        dec %ecx
        jnz top
        cmp $3, %eax
        je forward
        jmp top
forward:
        loop forward
        jecxz top
        jmp forward
