/* vx-expect: 139 general protection */
/* vx-native: escapes */
/* modify_ldt makes LDT entry 0 a data segment based 0x1000 below a probe
 * word; %gs loads its selector from a register and reads the probe at
 * gs:0x1000. */
#include "escape.inc"
_start:
        ESCAPED_THROUGH_LDT_DATA_SEGMENT gs
