/* vx-expect: 0 */
/* vx-native: escapes */
/* Reaches the host's root through the magic link /proc/self/root, then the
 * secret's absolute host path below it. /proc is absent under vx: ENOENT. */
#include "escape.h"

int main(void) {
    char path[4096];
    snprintf(path, sizeof path, "/proc/self/root%s", secret_path());
    return open_secret_via("open(/proc/self/root/VX_SECRET)", path, O_RDONLY, ENOENT);
}
