/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* mov to %ds of the 32-bit user code segment 0x23: natively a readable code
 * segment loads into a data segment register, and reads go through it. */
#include "escape.inc"
_start:
        mov $USER32_CS, %eax
        mov %eax, %ds
        mov %ds, %ecx
        cmp $USER32_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %ds:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
