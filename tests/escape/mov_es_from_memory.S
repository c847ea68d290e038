/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* mov to %es from memory of the 32-bit user code segment 0x23, then a
 * read through %es. */
#include "escape.inc"
_start:
        mov selector, %es
        mov %es, %ecx
        cmp $USER32_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %es:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
selector: .word USER32_CS
probe:  .long 0x5eedf00d
