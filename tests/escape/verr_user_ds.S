/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* verr on the host's flat data segment selector 0x2b: natively ZF says
 * the host GDT has a readable segment there. */
#include "escape.inc"
_start:
        mov $USER_DS, %eax
        test %eax, %eax                 /* ZF clear: only the answer sets it */
        verr %ax
        jnz 1f
        ESCAPED
1:      EXIT 3
