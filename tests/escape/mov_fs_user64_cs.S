/* vx-expect: 139 general protection */
/* vx-native: escapes */
/* mov to %fs, from a register, of the 64-bit code segment 0x33: vx lets
 * the guest load only its own TLS selectors (and null) into %fs/%gs. Then a
 * read through %fs. */
#include "escape.inc"
_start:
        mov $USER64_CS, %eax
        mov %eax, %fs
        mov %fs, %ecx
        cmp $USER64_CS, %ecx
        jne 1f
        cmpl $0x5eedf00d, %fs:probe
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
