/* vx-expect: 0 */
/* vx-native: escapes */
/* Opens "/" as an O_PATH|O_DIRECTORY descriptor, fchdir()s to it, then opens
 * the secret's host path relative to it. Under vx "/" is the guest's root,
 * where the path names nothing: ENOENT. */
#include "escape.h"

int main(void) {
    const char* secret = secret_path();
    int root = open("/", O_PATH | O_DIRECTORY);
    if (root < 0) return refused("open(/, O_PATH)", errno, 0);
    if (fchdir(root) != 0) return refused("fchdir(/)", errno, 0);
    return open_secret_via("open(VX_SECRET relative to /)", secret + 1, O_RDONLY, ENOENT);
}
