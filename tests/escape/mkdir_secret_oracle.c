/* vx-expect: 0 */
/* vx-native: escapes */
/* mkdir() on the secret's host path: natively EEXIST, an existence oracle
 * through a call that looks at nothing it may read. Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    if (mkdir(secret_path(), 0700) == 0) return gained_nothing("mkdir(VX_SECRET)");
    if (errno == EEXIST) {
        fprintf(stderr, "mkdir says the secret exists\n");
        escaped();
    }
    return refused("mkdir(VX_SECRET)", errno, ENOENT);
}
