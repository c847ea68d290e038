/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* les with the 64-bit code segment's selector, then a read through %es. */
#include "escape.inc"
_start:
        les farptr, %ebx
        mov %es, %eax
        cmp $USER64_CS, %eax
        jne 1f
        cmpl $0x5eedf00d, %es:(%ebx)
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
farptr: .long probe
        .word USER64_CS
probe:  .long 0x5eedf00d
