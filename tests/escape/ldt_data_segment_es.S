/* vx-expect: 139 privileged instruction */
/* vx-native: escapes */
/* modify_ldt makes LDT entry 0 a data segment based 0x1000 below a probe
 * word; %es loads its selector (index 0, TI, RPL 3) and reads the probe at
 * es:0x1000. */
#include "escape.inc"
_start:
        ESCAPED_THROUGH_LDT_DATA_SEGMENT es
