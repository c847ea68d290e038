/* vx-expect: 0 */
/* vx-native: escapes */
/* unlink(VX_SECRET): removes the file outside. Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    struct stat st;
    if (unlink(secret_path()) != 0) return refused("unlink(VX_SECRET)", errno, ENOENT);
    if (stat(secret_path(), &st) != 0 && errno == ENOENT) escaped();
    return gained_nothing("unlink(VX_SECRET)");
}
