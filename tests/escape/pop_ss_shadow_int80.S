/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* The CVE-2018-8897 shape: a system call in the shadow of a pop to %ss,
 * where the CPU holds off interrupts and debug traps until one instruction
 * later. Natively the write in the shadow prints the marker. */
#include "escape.inc"
_start:
        mov $4, %eax
        mov $1, %ebx
        mov $escape_marker, %ecx
        mov $8, %edx
        push $USER_DS
        pop %ss
        int $0x80
        cmp $8, %eax
        jne 1f
        EXIT 99
1:      EXIT 3
