/* vx-expect: 133 breakpoint */
#include "escape.inc"
_start:
        int3
        ESCAPED
