/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        mov %cr0, %eax
        ESCAPED
