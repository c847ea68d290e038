/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* lar on the 64-bit code segment's selector: natively it reads the host GDT
 * entry's access rights (present, DPL 3, code, and the L bit). */
#include "escape.inc"
_start:
        mov $USER64_CS, %eax
        xor %ebx, %ebx
        lar %eax, %ebx
        jnz 1f
        and $0x00e0fa00, %ebx           /* G, D, L; P, DPL, S, type less accessed */
        cmp $0x00a0fa00, %ebx           /* G, L; P, DPL 3, S, code, readable */
        jne 1f
        ESCAPED
1:      EXIT 3
