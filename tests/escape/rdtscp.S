/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* rdtscp leaves the host's TSC_AUX (node << 12 | cpu) in ecx: natively it agrees with
 * getcpu (tried until no migration came in between). */
#include "escape.inc"
_start:
        mov $100, %edi
again:  rdtscp
        mov %ecx, %esi
        mov $318, %eax                  /* getcpu(&cpu, &node, 0) */
        mov $cpu, %ebx
        mov $node, %ecx
        xor %edx, %edx
        int $0x80
        test %eax, %eax
        jnz 1f
        mov node, %eax
        shl $12, %eax
        or cpu, %eax
        cmp %eax, %esi
        je 2f
        dec %edi
        jnz again
1:      EXIT 3
2:      ESCAPED
        .bss
cpu:    .long 0
node:   .long 0
