/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Self-modifying code through the kernel: a stub runs once, its page is made
 * RWX, and read() from a pipe holding `ljmp $0x33, ...` overwrites it; then
 * it runs again. Natively the new code escapes to 64-bit mode; vx notices the write (a page it
 * translated code from is write-protected), translates the new code and
 * refuses its far transfer; a stale run would exit 3. */
#include "escape.inc"
_start:
        MAKE_RWX stub
        test %eax, %eax
        jnz 2f
        mov $42, %eax                   /* pipe(fds) */
        mov $fds, %ebx
        int $0x80
        test %eax, %eax
        jnz 2f
        mov $4, %eax                    /* write(fds[1], new_code, 8) */
        mov fds+4, %ebx
        mov $new_code, %ecx
        mov $8, %edx
        int $0x80
        cmp $8, %eax
        jne 2f
        xor %ebp, %ebp
again:  jmp stub
back:   test %ebp, %ebp
        jnz 1f
        inc %ebp
        mov $3, %eax                    /* read(fds[0], stub, 8) */
        mov fds, %ebx
        mov $stub, %ecx
        mov $8, %edx
        int $0x80
        cmp $8, %eax
        jne 2f
        jmp again
1:      EXIT_STALE_IF_REWRITTEN stub, new_code  /* the old stub ran again */
2:      EXIT 4
        .balign 8
stub:   jmp back                        /* 8 bytes of room */
        .balign 8, 0x90
        ESCAPED64 in_64bit_mode
        .data
        LJMP64_BYTES new_code
        .bss
fds:    .long 0, 0
