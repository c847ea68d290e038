/* vx-expect: 133 breakpoint */
/* vx-native: 133 */
/* vx-vm: no, the VM's emulated CPU (QEMU 7.2 TCG) ends icebp with SIGILL, not the SIGTRAP of a real CPU */
#include "escape.inc"
_start:
        .byte 0xf1
        ESCAPED
