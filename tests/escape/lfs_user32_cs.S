/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* lfs with the 32-bit user code segment's selector, then a read through %fs. */
#include "escape.inc"
_start:
        lfs farptr, %ebx
        mov %fs, %eax
        cmp $USER32_CS, %eax
        jne 1f
        cmpl $0x5eedf00d, %fs:(%ebx)
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
farptr: .long probe
        .word USER32_CS
probe:  .long 0x5eedf00d
