/* vx-expect: 0 */
/* vx-native: escapes */
/* setgroups({0}): root's group as a supplementary group (checked with
 * getgroups). vx has no setgroups: ENOSYS. */
#include "escape.h"
#include <grp.h>

int main(void) {
    gid_t groups[1] = {0}, got[8];
    if (setgroups(1, groups) != 0) return refused("setgroups({0})", errno, ENOSYS);
    if (getgroups(8, got) == 1 && got[0] == 0) escaped();
    return gained_nothing("setgroups({0})");
}
