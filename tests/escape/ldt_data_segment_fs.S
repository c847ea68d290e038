/* vx-expect: 139 general protection */
/* vx-native: escapes */
/* modify_ldt makes LDT entry 0 a data segment based 0x1000 below a probe
 * word; %fs loads its selector from a register (the form vx handles for TLS)
 * and reads the probe at fs:0x1000. */
#include "escape.inc"
_start:
        ESCAPED_THROUGH_LDT_DATA_SEGMENT fs
