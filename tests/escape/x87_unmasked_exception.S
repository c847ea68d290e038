/* vx-expect: 136 floating-point exception */
/* vx-native: 136 */
#include "escape.inc"
_start:
        fninit
        movw $0x0370, cw
        fldcw cw
        fldz
        fld1
        fdivp
        fwait
        .bss
cw:     .space 2
        .text
        ESCAPED
