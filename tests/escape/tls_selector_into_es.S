/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* set_thread_area makes a TLS data segment based 0x1000 below a probe word;
 * vx models such selectors for %fs/%gs only, so this loads it into %es and
 * reads the probe at es:0x1000. */
#include "escape.inc"
_start:
        mov $243, %eax                  /* set_thread_area(&desc) */
        mov $desc, %ebx
        int $0x80
        test %eax, %eax
        jnz 1f
        mov desc, %eax                  /* the entry it chose */
        shl $3, %eax
        or $3, %eax
        mov %eax, %es
        cmpl $0x5eedf00d, %es:0x1000
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
desc:   .long -1                        /* entry_number: any free one */
        .long probe - 0x1000            /* base_addr */
        .long 0xfffff                   /* limit, in pages */
        .long USER_DESC_DATA32
probe:  .long 0x5eedf00d
