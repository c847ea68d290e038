/* vx-expect: 0 */
/* vx-native: escapes */
/* chmod(VX_SECRET, 0666): makes the secret (0600) readable and writable by
 * all. Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    struct stat st;
    if (chmod(secret_path(), 0666) != 0) return refused("chmod(VX_SECRET)", errno, ENOENT);
    if (stat(secret_path(), &st) == 0 && (st.st_mode & 0777) == 0666) escaped();
    return gained_nothing("chmod(VX_SECRET)");
}
