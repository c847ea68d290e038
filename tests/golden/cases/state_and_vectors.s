# Instructions the translator rewrites beyond their operands: xlat (an
# implicit ebx+al address), fnstenv/fnsave (stored in the runtime context,
# copied to the guest with the x87 pointers cleared), fxsave (emulated by
# the host), and a gather, whose vector-indexed address needs a 32-bit
# address size prefix added. (xsave is left out: the policy refuses it on
# a host whose XCR0 has PKRU, so its translation differs between machines.)
# Each block with such an instruction calls the extended state's gate first;
# a loop of one chains to itself past it, and its indirect branches go past
# their target's gate slot too.
        .text
        xlat
        fnstenv (%ebx)
        fnsave 4(%esp)
        vpgatherdd (%ebx,%zmm2,4), %zmm0{%k1}
        loopne 1f
1:      fxsave (%eax)
2:      addps %xmm1, %xmm0
        dec %ecx
        jnz 2b
        movd %xmm0, %eax
        ret
