/* vx-expect: 135 alignment check */
/* vx-native: 135 */
/* vx-vm: no, the VM's emulated CPU (QEMU 7.2 TCG) does not check alignment: the misaligned access runs */
#include "escape.inc"
/* With AC set, an unaligned access raises #AC: SIGBUS for the guest only. */
_start:
        pushf
        orl $0x40000, (%esp)
        popf
        mov $buf+1, %ebx
        movl $1, (%ebx)
        ESCAPED
        .bss
        .align 4
buf:    .space 8
