/* vx-expect: 139 page fault */
/* vx-native: 139 */
/* vx-vm: no, the VM's emulated CPU (QEMU 7.2 TCG) has no AVX-512: SIGILL before any scatter */
/* An AVX-512 scatter whose lanes reach from the last mapped bytes into the
 * unmapped page after them: the CPU faults, natively and under vx. */
#include "escape.inc"
_start:
        PAGE_BEFORE_A_HOLE
        vmovdqu32 lanes, %zmm1          /* indices 0, 1, ... 15 */
        kxnorw %k0, %k0, %k1
        lea 4096-32(%esi), %eax         /* lanes 8-15 lie past the end */
        vpscatterdd %zmm0, (%eax,%zmm1,4){%k1}
        ESCAPED
        .data
        .align 64
lanes:  .long 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
