/* vx-expect: 132 invalid instruction */
/* vx-native: 132 */
/* vx-vm: no, SYSCALL in 32-bit mode is #UD on Intel (as declared) but runs on the VM's emulated CPU (QEMU 7.2 TCG, AMD-like): SIGSEGV */
#include "escape.inc"
_start:
        syscall
        ESCAPED
