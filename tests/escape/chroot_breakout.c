/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* The classic chroot breakout: chroot into a subdirectory while keeping the
 * working directory outside it, climb with chdir(".."), chroot(".") at the
 * real root, then read the secret by its host path. vx has no chroot:
 * ENOSYS. */
#include "escape.h"

int main(void) {
    const char* secret = secret_path();
    enter_writable_cwd();
    if (mkdir("jail", 0700) != 0) return refused("mkdir(jail)", errno, 0);
    if (chroot("jail") != 0) return refused("chroot(jail)", errno, ENOSYS);
    for (int i = 0; i < 64; ++i) chdir("..");
    if (chroot(".") != 0) return refused("chroot(.)", errno, 0);
    return open_secret_via("open(VX_SECRET) after the breakout", secret, O_RDONLY, 0);
}
