/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* verr on the 64-bit code segment's selector: natively ZF says the host
 * GDT has a readable segment there. */
#include "escape.inc"
_start:
        mov $USER64_CS, %eax
        test %eax, %eax                 /* ZF clear: only the answer sets it */
        verr %ax
        jnz 1f
        ESCAPED
1:      EXIT 3
