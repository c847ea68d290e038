/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* In its writable working directory, makes "link" -> the secret's absolute
 * host path, then opens the link: vx lets the guest write the link's text,
 * but must resolve it only inside the grant: ENOENT. */
#include "escape.h"

int main(void) {
    enter_writable_cwd();
    if (symlink(secret_path(), "link") != 0) return refused("symlink(VX_SECRET, link)", errno, 0);
    return open_secret_via("open(link -> VX_SECRET)", "link", O_RDONLY, ENOENT);
}
