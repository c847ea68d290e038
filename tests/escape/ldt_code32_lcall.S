/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* modify_ldt makes LDT entry 0 a flat 32-bit code segment, and a far call
 * through a far pointer goes to it: natively the callee runs with %cs = 0x7. */
#include "escape.inc"
_start:
        WRITE_LDT ldt_entry
        lcall *farptr
        EXIT 3
target: mov %cs, %eax
        cmp $LDT_SELECTOR0, %eax
        jne 1f
        ESCAPED
1:      EXIT 4
        .data
ldt_entry:
        .long 0, 0, 0xfffff, USER_DESC_CODE32
farptr: .long target
        .word LDT_SELECTOR0
