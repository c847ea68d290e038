/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* lsl on the host's CPU/node GDT entry (index 15, selector 0x7b, the vgetcpu
 * trick): natively its limit is the host's (node << 12 | cpu), which agrees
 * with getcpu (tried until no migration came in between). */
#include "escape.inc"
_start:
        mov $100, %edi
again:  mov $0x7b, %eax
        lsl %eax, %esi
        jnz 1f
        ESCAPED_IF_ESI_IS_CPU_NODE again
1:      EXIT 3
