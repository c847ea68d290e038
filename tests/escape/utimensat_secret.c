/* vx-expect: 0 */
/* vx-native: escapes */
/* utimensat() on the secret: sets its modification time to 1 (1970), which
 * would let a guest forge or probe the file's history. Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    struct timespec times[2] = {{1, 0}, {1, 0}};
    struct stat st;
    if (utimensat(AT_FDCWD, secret_path(), times, 0) != 0) return refused("utimensat(VX_SECRET)", errno, ENOENT);
    if (stat(secret_path(), &st) == 0 && st.st_mtime == 1) escaped();
    return gained_nothing("utimensat(VX_SECRET)");
}
