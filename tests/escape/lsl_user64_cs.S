/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* lsl on the 64-bit code segment's selector: natively it reads the host
 * GDT entry's limit. */
#include "escape.inc"
_start:
        mov $USER64_CS, %eax
        xor %ebx, %ebx
        lsl %eax, %ebx
        jnz 1f
        cmp $0xffffffff, %ebx          /* a flat 4 GiB segment */
        jne 1f
        ESCAPED
1:      EXIT 3
