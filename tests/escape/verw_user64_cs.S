/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* verw on the 64-bit code segment's selector: natively it answers from the
 * host GDT that the segment is not writable (ZF, set beforehand, cleared). */
#include "escape.inc"
_start:
        mov $USER64_CS, %eax
        cmp %eax, %eax                  /* ZF set: only the answer clears it */
        verw %ax
        jz 1f
        ESCAPED
1:      EXIT 3
