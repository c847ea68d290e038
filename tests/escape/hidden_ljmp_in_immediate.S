/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* Overlapping instructions: `movl $imm32, disp32(%eax)` runs once as itself
 * (a harmless store), then a jump lands 2 bytes into it, where its disp32 and
 * imm32 read `ff 2d <farptr>`: ljmp *farptr, to the 64-bit code segment. */
#include "escape.inc"
_start:
        mov $farptr, %eax               /* eax = scratch - disp32 */
        shl $16, %eax
        or $0x2dff, %eax
        neg %eax
        add $scratch, %eax
outer:  .byte 0xc7, 0x80                /* movl $imm32, disp32(%eax) */
hidden: .byte 0xff, 0x2d                /* disp32 = ff 2d <farptr low half> */
        .long farptr                    /*   imm32 = <farptr high half> 90 90 */
        .byte 0x90, 0x90
        mov $farptr, %eax               /* the store really ran as an instruction */
        shr $16, %eax
        or $0x90900000, %eax
        cmp scratch, %eax
        jne 1f
        jmp hidden
1:      EXIT 3
        ESCAPED64 in_64bit_mode
        .data
farptr: .long in_64bit_mode
        .word USER64_CS
scratch: .long 0
