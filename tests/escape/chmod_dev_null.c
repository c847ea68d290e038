/* vx-expect: 0 */
/* vx-native: escapes */
/* chmod() on /dev/null, the host's own device node, which vx lends every
 * guest: it sets the mode the node already has (so nothing changes, here or
 * natively), but a guest that may do that may also make the host's
 * /dev/null unusable for everyone. The device belongs to root, not to the
 * guest: EPERM. (vx shows the host user's files as the guest's; vxrun run
 * as root, as here, makes root's /dev/null look like the guest's.) */
#include "escape.h"

int main(void) {
    struct stat st;
    if (stat("/dev/null", &st) != 0 || !S_ISCHR(st.st_mode)) return refused("stat(/dev/null)", errno, 0);
    if (chmod("/dev/null", st.st_mode & 07777) != 0) return refused("chmod(/dev/null)", errno, EPERM);
    fprintf(stderr, "chmod(/dev/null, %o) succeeded\n", st.st_mode & 07777);
    escaped();
}
