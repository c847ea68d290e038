/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* modify_ldt makes LDT entry 0 a data segment based 0x1000 below a probe
 * word; %es loads its selector (index 0, TI, RPL 3) and reads the probe at
 * es:0x1000. */
#include "escape.inc"
_start:
        WRITE_LDT ldt_entry             /* natively 0; the load is tried whatever it returns */
        mov $LDT_SELECTOR0, %eax
        mov %eax, %es
        cmpl $0x5eedf00d, %es:0x1000    /* = probe, through the segment's base */
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
ldt_entry:
        .long 0                         /* entry_number */
        .long probe - 0x1000            /* base_addr */
        .long 0xfffff                   /* limit, in pages */
        .long USER_DESC_DATA32
probe:  .long 0x5eedf00d
