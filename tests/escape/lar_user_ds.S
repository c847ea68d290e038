/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* lar on the host's flat data segment selector 0x2b: natively the GDT entry's
 * access rights (present, DPL 3, writable data, 32-bit). */
#include "escape.inc"
_start:
        mov $USER_DS, %eax
        xor %ebx, %ebx
        lar %eax, %ebx
        jnz 1f
        and $0x00e0fa00, %ebx
        cmp $0x00c0f200, %ebx           /* G, D; P, DPL 3, S, data, writable */
        jne 1f
        ESCAPED
1:      EXIT 3
