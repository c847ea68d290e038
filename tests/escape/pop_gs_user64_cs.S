/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* pop %gs of the 64-bit code segment 0x33, then a read through %gs. */
#include "escape.inc"
_start:
        push $USER64_CS
        pop %gs
        mov %gs, %ecx
        cmp $USER64_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %gs:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
