/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* modify_ldt makes LDT entry 0 a flat 32-bit code segment, and a far jump
 * goes to it: natively the target runs with %cs = 0x7. */
#include "escape.inc"
_start:
        WRITE_LDT ldt_entry
        ljmp $LDT_SELECTOR0, $target
        EXIT 3
target: mov %cs, %eax
        cmp $LDT_SELECTOR0, %eax
        jne 1f
        ESCAPED
1:      EXIT 4
        .data
ldt_entry:
        .long 0, 0, 0xfffff, USER_DESC_CODE32
