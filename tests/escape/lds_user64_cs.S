/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* lds with the 64-bit code segment's selector: natively a readable code
 * segment loads into %ds, and the data read through it comes back. */
#include "escape.inc"
_start:
        lds farptr, %ebx
        mov %ds, %eax
        cmp $USER64_CS, %eax
        jne 1f
        cmpl $0x5eedf00d, (%ebx)
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
farptr: .long probe
        .word USER64_CS
probe:  .long 0x5eedf00d
