/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Overlapping instructions: `mov $0x909090cb, %ecx` runs once as itself, then
 * a jump lands 1 byte into it, on `cb`: lret, to a 64-bit code segment far
 * pointer pushed beforehand. */
#include "escape.inc"
_start:
outer:  mov $0x909090cb, %ecx
        cmp $0x909090cb, %ecx
        jne 1f
        push $USER64_CS
        push $in_64bit_mode
        jmp outer+1
1:      EXIT 3
        ESCAPED64 in_64bit_mode
