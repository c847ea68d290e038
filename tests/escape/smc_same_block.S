/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Self-modifying code inside the very block that is running: straight-line
 * stores rewrite an instruction a few bytes ahead (`mov $3, %ebx` and two
 * nops) into ljmp $0x33, ... The CPU notices stores to code it is about to
 * run, so natively the new jump runs and escapes; vx notices the store (the page
 * is write-protected while it holds translations), stops the block there,
 * translates the new jump and refuses it; the old instruction would exit 3. */
#include "escape.inc"
_start:
        MAKE_RWX patch
        test %eax, %eax
        jnz 2f
        mov $1, %eax
        movb $0xea, patch
        movl $in_64bit_mode, patch+1
        movw $USER64_CS, patch+5
patch:  mov $3, %ebx
        nop
        nop
        cmpb $0xea, patch               /* the old instruction ran: over new bytes? */
        jne 2f
        int $0x80                       /* exit(3) */
2:      EXIT 4
        ESCAPED64 in_64bit_mode
