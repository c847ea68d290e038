/* vx-expect: 0 */
/* vx-native: escapes */
/* statx() on the secret's host path: the newer stat, handled apart from the
 * old ones. Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    struct statx stx;
    if (statx(AT_FDCWD, secret_path(), 0, STATX_BASIC_STATS, &stx) != 0)
        return refused("statx(VX_SECRET)", errno, ENOENT);
    if (S_ISREG(stx.stx_mode) && stx.stx_size > 0) escaped();
    return gained_nothing("statx(VX_SECRET)");
}
