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
