/* vx-expect: 0 */
/* vx-native: escapes */
/* truncate(VX_SECRET, 0): destroys the file's contents without opening it.
 * Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    struct stat st;
    if (truncate(secret_path(), 0) != 0) return refused("truncate(VX_SECRET)", errno, ENOENT);
    if (stat(secret_path(), &st) == 0 && st.st_size == 0) escaped();
    return gained_nothing("truncate(VX_SECRET)");
}
