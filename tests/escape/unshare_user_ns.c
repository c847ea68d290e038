/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 has threads of its own, and the kernel refuses CLONE_NEWUSER to a threaded process (EINVAL) */
/* unshare(CLONE_NEWUSER): a user namespace of its own, in which it holds
 * every capability (checked: it is now the overflow uid, unmapped). vx has
 * no unshare: ENOSYS. */
#include "escape.h"
#include <sched.h>

int main(void) {
    if (unshare(CLONE_NEWUSER) != 0) return refused("unshare(CLONE_NEWUSER)", errno, ENOSYS);
    if (getuid() == 65534) escaped();
    return gained_nothing("unshare(CLONE_NEWUSER)");
}
