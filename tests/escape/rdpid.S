/* vx-expect: 132 invalid instruction */
/* vx-native: escapes */
/* vx-vm: no, the VM's emulated CPU (QEMU 7.2 TCG) has no RDPID: SIGILL */
/* rdpid reads the host's TSC_AUX (node << 12 | cpu): natively it agrees with
 * getcpu (tried until no migration came in between). */
#include "escape.inc"
_start:
        mov $100, %edi
again:  rdpid %esi
        ESCAPED_IF_ESI_IS_CPU_NODE again
