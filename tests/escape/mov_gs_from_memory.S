/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* mov to %gs from memory of the 64-bit code segment 0x33, then a read
 * through %gs. */
#include "escape.inc"
_start:
        mov selector, %gs
        mov %gs, %ecx
        cmp $USER64_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %gs:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
selector: .word USER64_CS
probe:  .long 0x5eedf00d
