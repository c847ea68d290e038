/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Self-modifying code through vx's own emulation: a stub runs once, its page
 * is made RWX, two `movsl` with a %ds prefix (string instructions vx carries
 * out in the host, element by element, not inline) copy ljmp $0x33, ... over
 * it, a system call follows, and the stub runs again. Natively the new code
 * escapes; vx noted the host's write to code, drops its translations when
 * the guest next enters after the call, and refuses the new code. */
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
        mov $new_code, %esi
        mov $stub, %edi
        .byte 0x3e, 0xa5                /* ds movsl, twice: the explicit prefix kept */
        .byte 0x3e, 0xa5
        mov $20, %eax                   /* getpid */
        int $0x80
        jmp again
1:      EXIT 3
2:      EXIT 4
        .balign 8
stub:   jmp back                        /* 8 bytes of room */
        .balign 8, 0x90
        ESCAPED64 in_64bit_mode
        .data
        LJMP64_BYTES new_code
