/* vx-expect: 0 */
/* vx-native: escapes */
/* readlink() of the secret: natively EINVAL, "exists, not a symlink", an
 * existence oracle even though nothing is read. Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    char target[256];
    if (readlink(secret_path(), target, sizeof target) >= 0) return gained_nothing("readlink(VX_SECRET)");
    if (errno == EINVAL) {
        fprintf(stderr, "readlink says the secret exists\n");
        escaped();
    }
    return refused("readlink(VX_SECRET)", errno, ENOENT);
}
