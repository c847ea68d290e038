/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* The CVE-2018-8897 shape with mov: `mov selector, %ss` from memory (where
 * the original put a hardware watchpoint), then a system call in its shadow;
 * natively that write prints the marker. */
#include "escape.inc"
_start:
        mov $4, %eax
        mov $1, %ebx
        mov $escape_marker, %ecx
        mov $8, %edx
        mov selector, %ss
        int $0x80
        cmp $8, %eax
        jne 1f
        EXIT 99
1:      EXIT 3
        .data
selector: .word USER_DS
