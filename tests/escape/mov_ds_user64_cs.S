/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* mov to %ds of the 64-bit code segment 0x33 (readable), then a read
 * through it. */
#include "escape.inc"
_start:
        mov $USER64_CS, %eax
        mov %eax, %ds
        mov %ds, %ecx
        cmp $USER64_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %ds:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
