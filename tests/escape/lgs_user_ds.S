/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* lgs with the host's flat data segment 0x2b (vx gives %gs only the guest's
 * own TLS selectors), then a read through %gs. */
#include "escape.inc"
_start:
        lgs farptr, %ebx
        mov %gs, %eax
        cmp $USER_DS, %eax
        jne 1f
        cmpl $0x5eedf00d, %gs:(%ebx)
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
farptr: .long probe
        .word USER_DS
probe:  .long 0x5eedf00d
