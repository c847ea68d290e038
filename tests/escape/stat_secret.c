/* vx-expect: 0 */
/* vx-native: escapes */
/* stat() on the secret's host path: succeeding would leak that it exists,
 * its size, owner and times. Under vx it simply does not exist: ENOENT. */
#include "escape.h"

int main(void) {
    struct stat st;
    if (stat(secret_path(), &st) != 0) return refused("stat(VX_SECRET)", errno, ENOENT);
    fprintf(stderr, "stat: size %lld, mode %o\n", (long long)st.st_size, st.st_mode);
    if (S_ISREG(st.st_mode) && st.st_size > 0) escaped();
    return gained_nothing("stat(VX_SECRET)");
}
