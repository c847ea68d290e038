/* vx-expect: 0 */
/* vx-native: escapes */
/* chown(VX_SECRET, 1000, 1000): gives the secret to the guest's uid (root
 * natively may). Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    struct stat st;
    if (chown(secret_path(), 1000, 1000) != 0) return refused("chown(VX_SECRET)", errno, ENOENT);
    if (stat(secret_path(), &st) == 0 && st.st_uid == 1000 && st.st_gid == 1000) escaped();
    return gained_nothing("chown(VX_SECRET)");
}
