/* vx-expect: 0 */
/* vx-native: escapes */
/* chdir("..") 64 times, far more than the working directory is deep, then
 * opens the secret's host path relative to where that ended (natively the
 * host's /). Under vx the climb ends at the guest's / and the path names
 * nothing: ENOENT. */
#include "escape.h"

int main(void) {
    const char* secret = secret_path();
    for (int i = 0; i < 64; ++i)
        if (chdir("..") != 0) return refused("chdir(..)", errno, 0);
    return open_secret_via("open(VX_SECRET relative to the top)", secret + 1, O_RDONLY, ENOENT);
}
