/* vx-expect: 133 breakpoint */
/* vx-native: 133 */
#include "escape.inc"
_start:
        int3
        ESCAPED
