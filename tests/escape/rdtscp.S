/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* rdtscp leaves the host's TSC_AUX (node << 12 | cpu) in ecx: natively it agrees with
 * getcpu (tried until no migration came in between). */
#include "escape.inc"
_start:
        mov $100, %edi
again:  rdtscp
        mov %ecx, %esi
        ESCAPED_IF_ESI_IS_CPU_NODE again
