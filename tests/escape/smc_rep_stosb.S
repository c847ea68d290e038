/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Self-modifying code with a string store: a stub runs once (a jump back),
 * its page is made RWX, `rep stosb` fills it with 0xcb (lret), and it runs
 * again with a far pointer to the 64-bit code segment on the stack. Natively
 * the lret escapes; vx notices the write (a page it
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
        cld
        mov $0xcb, %al
        mov $stub, %edi
        mov $2, %ecx
        rep stosb
        push $USER64_CS
        push $in_64bit_mode
        jmp again
1:      cmpb $0xcb, stub                /* the old stub ran again: over new bytes? */
        jne 3f
        EXIT 3
3:      EXIT 5
2:      EXIT 4
stub:   jmp back
        ESCAPED64 in_64bit_mode
