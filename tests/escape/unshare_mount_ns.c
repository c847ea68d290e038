/* vx-expect: 0 */
/* vx-native: escapes */
/* unshare(CLONE_NEWNS): a mount namespace of its own, the first step to
 * remounting the file system at will (checked: /proc/self/ns/mnt changed).
 * vx has no unshare: ENOSYS. */
#include "escape.h"
#include <sched.h>

int main(void) {
    char before[64] = "", after[64] = "";
    readlink("/proc/self/ns/mnt", before, sizeof before - 1);
    if (unshare(CLONE_NEWNS) != 0) return refused("unshare(CLONE_NEWNS)", errno, ENOSYS);
    readlink("/proc/self/ns/mnt", after, sizeof after - 1);
    if (before[0] && after[0] && strcmp(before, after) != 0) escaped();
    return gained_nothing("unshare(CLONE_NEWNS)");
}
