/* vx-expect: 139 page fault */
/* vx-native: 139 */
/* fxsave's 512 bytes started 256 bytes before the end of mapped memory: the
 * CPU faults without writing past it, natively and under vx. */
#include "escape.inc"
_start:
        PAGE_BEFORE_A_HOLE
        fxsave 4096-256(%esi)
        ESCAPED
