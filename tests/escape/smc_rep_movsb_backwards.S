/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Self-modifying code with a backwards string copy (std; rep movsb, memmove's
 * overlapping case, which vx runs inline on host addresses): a stub runs once,
 * its page is made RWX, the copy puts `ljmp $0x33, ...` over it, and it runs
 * again. Natively the new code escapes; vx notices the write (a page it
 * translated code from is write-protected), translates the new code and
 * refuses its far transfer; a stale run would exit 3. */
#include "escape.inc"
_start:
        MAKE_RWX stub
        test %eax, %eax
        jnz 2f
        xor %ebp, %ebp
again:  jmp stub
back:   test %ebp, %ebp
        jnz 1f
        inc %ebp
        std
        mov $new_code+7, %esi
        mov $stub+7, %edi
        mov $8, %ecx
        rep movsb
        cld
        jmp again
1:      EXIT_STALE_IF_REWRITTEN stub, new_code  /* the old stub ran again */
2:      EXIT 4
        .balign 8
stub:   jmp back                        /* 8 bytes of room */
        .balign 8, 0x90
        ESCAPED64 in_64bit_mode
        .data
        LJMP64_BYTES new_code
