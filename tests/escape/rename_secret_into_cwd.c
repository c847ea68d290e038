/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* Moves the secret into the writable working directory with rename(2), then
 * reads it there. Under vx the source lies outside every grant: ENOENT. */
#include "escape.h"

int main(void) {
    enter_writable_cwd();
    if (rename(secret_path(), "stolen") != 0) return refused("rename(VX_SECRET, stolen)", errno, ENOENT);
    return open_secret_via("open(stolen)", "stolen", O_RDONLY, 0);
}
