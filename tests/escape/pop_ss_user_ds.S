/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* pop %ss of the host's flat data segment 0x2b (a code segment never loads
 * into %ss), then the stack and a read through %ss work through it. */
#include "escape.inc"
_start:
        push $USER_DS
        pop %ss
        mov %ss, %ecx
        cmp $USER_DS, %ecx
        jne 1f
        push $0x5eedf00d
        pop %eax
        cmp %ss:probe, %eax
        jne 1f
        ESCAPED
1:      EXIT 3
        .data
probe:  .long 0x5eedf00d
