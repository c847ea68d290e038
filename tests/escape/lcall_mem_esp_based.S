/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* A far call through a far pointer on the stack, addressed esp + index*4, to
 * the 64-bit code segment. */
#include "escape.inc"
_start:
        push $USER64_CS
        push $in_64bit_mode
        sub $12, %esp
        mov $3, %edi
        lcall *(%esp,%edi,4)
        EXIT 3
        ESCAPED64 in_64bit_mode
