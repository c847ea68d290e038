/* vx-expect: 139 privileged instruction */
#include "escape.inc"
_start:
        mov %eax, %db7
        ESCAPED
