/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* mov to %fs from memory (vx handles only the register form, for TLS) of
 * the 32-bit user code segment 0x23, then a read through %fs. */
#include "escape.inc"
_start:
        mov selector, %fs
        mov %fs, %ecx
        cmp $USER32_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %fs:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
selector: .word USER32_CS
probe:  .long 0x5eedf00d
