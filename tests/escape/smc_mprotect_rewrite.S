/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Self-modifying code: a stub runs once (a jump back), its page is made
 * writable with mprotect (RWX), the stub is overwritten with ljmp $0x33, and
 * it runs again. Natively the new code escapes to 64-bit mode; vx notices the write (a page it
 * translated code from is write-protected), translates the new code and
 * refuses its far transfer; a stale run would exit 3. */
#include "escape.inc"
_start:
        MAKE_RWX stub
        test %eax, %eax
        jnz 2f
        xor %ebp, %ebp                  /* passes through the stub */
again:  jmp stub
back:   test %ebp, %ebp
        jnz 1f                          /* the old stub ran again */
        inc %ebp
        mov new_code, %eax
        mov %eax, stub
        mov new_code+4, %eax
        mov %eax, stub+4
        jmp again
1:      EXIT_STALE_IF_REWRITTEN stub, new_code  /* the old stub ran again */
2:      EXIT 4
        .balign 8
stub:   jmp back                        /* 8 bytes of room */
        .balign 8, 0x90
        ESCAPED64 in_64bit_mode
        .data
        LJMP64_BYTES new_code
