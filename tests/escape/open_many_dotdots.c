/* vx-expect: 0 */
/* vx-native: escapes */
/* Climbs with far more "../" than the working directory is deep (".." at
 * the host's / stays there), then names the secret's absolute host path
 * below: whatever root the guest has, this would reach the host's. Under
 * vx: ENOENT. */
#include "escape.h"

int main(void) {
    static char path[4096];
    size_t n = 0;
    for (int i = 0; i < 64; ++i) n += (size_t)snprintf(path + n, sizeof path - n, "../");
    snprintf(path + n, sizeof path - n, "%s", secret_path() + 1);
    return open_secret_via("open(../../...VX_SECRET)", path, O_RDONLY, ENOENT);
}
