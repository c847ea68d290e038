/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* Makes "dir" -> the secret's directory (by its absolute host path), then
 * opens a path through it, "dir/secret", with O_NOFOLLOW: that flag only
 * concerns the last component, so it is no protection. Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    enter_writable_cwd();
    if (symlink(secret_dir(), "dir") != 0) return refused("symlink(secret's dir, dir)", errno, 0);
    return open_secret_via("open(dir/secret, O_NOFOLLOW)", "dir/secret", O_RDONLY | O_NOFOLLOW, ENOENT);
}
