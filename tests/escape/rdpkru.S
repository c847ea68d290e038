/* vx-expect: 132 invalid instruction */
/* vx-native: escapes */
/* rdpkru reads the thread's protection-key rights: natively Linux's initial
 * PKRU, key 0 open and keys 1-15 access-disabled. */
#include "escape.inc"
_start:
        xor %ecx, %ecx
        rdpkru
        cmp $0x55555554, %eax
        jne 1f
        ESCAPED
1:      EXIT 3
