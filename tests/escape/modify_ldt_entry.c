/* vx-expect: 0 */
/* vx-native: escapes */
/* modify_ldt(): installs a code or data segment of its own in the local
 * descriptor table (checked by reading the table back), segments that the
 * sandbox's selector policy never handed out. vx has no modify_ldt:
 * ENOSYS. */
#include "escape.h"
#include <asm/ldt.h>

int main(void) {
    struct user_desc entry;
    memset(&entry, 0, sizeof entry);
    entry.entry_number = 0;
    entry.base_addr = 0;
    entry.limit = 0xfffff;
    entry.seg_32bit = 1;
    entry.limit_in_pages = 1;
    entry.useable = 1;
    if (syscall(SYS_modify_ldt, 1, &entry, sizeof entry) != 0) return refused("modify_ldt(write)", errno, ENOSYS);
    unsigned char table[LDT_ENTRY_SIZE];
    if (syscall(SYS_modify_ldt, 0, table, sizeof table) == (long)sizeof table) escaped();
    return gained_nothing("modify_ldt(write)");
}
