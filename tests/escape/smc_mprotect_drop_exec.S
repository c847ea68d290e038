/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Self-modifying code the W^X way: a stub on a page of its own runs once,
 * the page is made read-write (no longer executable), overwritten with
 * ljmp $0x33, ..., made read-execute again, and run again. Natively the new
 * code escapes; vx drops its translations when the page loses exec, so it
 * translates the new code, and refuses it. */
#include "escape.inc"
_start:
        xor %ebp, %ebp
again:  jmp stub
back:   test %ebp, %ebp
        jnz 1f
        inc %ebp
        mov $125, %eax                  /* mprotect(stub, 4096, PROT_READ|PROT_WRITE) */
        mov $stub, %ebx
        mov $4096, %ecx
        mov $3, %edx
        int $0x80
        test %eax, %eax
        jnz 2f
        mov new_code, %eax
        mov %eax, stub
        mov new_code+4, %eax
        mov %eax, stub+4
        mov $125, %eax                  /* mprotect(stub, 4096, PROT_READ|PROT_EXEC) */
        mov $stub, %ebx
        mov $4096, %ecx
        mov $5, %edx
        int $0x80
        test %eax, %eax
        jnz 2f
        jmp again
1:      EXIT 3
2:      EXIT 4
        ESCAPED64 in_64bit_mode
        .balign 4096
stub:   jmp back
        .balign 4096, 0x90
        .data
        LJMP64_BYTES new_code
