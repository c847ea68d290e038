/* vx-expect: 139 page fault */
/* vx-native: 139 */
/* vx-vm: no, the VM's emulated CPU (QEMU 7.2 TCG) has no AVX-512: SIGILL before any scatter */
/* A scatter whose base + index*scale passes 4 GiB: i386 addresses wrap, so
 * the lanes land at the lowest (unmapped) page, natively and under vx —
 * never above the guest's 4 GiB. */
#include "escape.inc"
_start:
        vpbroadcastd index, %zmm1
        kxnorw %k0, %k0, %k1
        mov $0xfffff000, %eax
        vpscatterdd %zmm0, (%eax,%zmm1,8){%k1}
        ESCAPED
        .data
index:  .long 0x300                      /* 0xfffff000 + 0x1800 wraps to 0x800 */
