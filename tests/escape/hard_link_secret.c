/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* link(VX_SECRET, "stolen"): a hard link in the writable working directory
 * to the file outside, then reads it through the link. Under vx the secret's
 * host path names nothing in the guest's namespace: ENOENT. */
#include "escape.h"

int main(void) {
    enter_writable_cwd();
    if (link(secret_path(), "stolen") != 0) return refused("link(VX_SECRET, stolen)", errno, ENOENT);
    return open_secret_via("open(stolen)", "stolen", O_RDONLY, 0);
}
