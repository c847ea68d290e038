/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* pop %es of the 64-bit code segment 0x33, then a read through %es. */
#include "escape.inc"
_start:
        push $USER64_CS
        pop %es
        mov %es, %ecx
        cmp $USER64_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %es:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
