/* vx-expect: 0 */
/* vx-native: escapes */
/* fchmod() on descriptor 0, the host's own stdin that vx passes through:
 * here the host's /dev/null (expect.sh runs the guest </dev/null), a file
 * outside every grant and root's, not the guest's. It sets the mode the
 * file already has, so nothing changes, here or natively; a guest that may
 * do that may make the file whatever it likes (stdin redirected from a
 * private file: world-readable). Linux answers a uid-1000 process EPERM. */
#include "escape.h"

int main(void) {
    struct stat st;
    if (fstat(0, &st) != 0) return refused("fstat(0)", errno, 0);
    if (fchmod(0, st.st_mode & 07777) != 0) return refused("fchmod(0)", errno, EPERM);
    fprintf(stderr, "fchmod(0, %o) succeeded on a file owned by %d\n", st.st_mode & 07777, (int)st.st_uid);
    escaped();
}
