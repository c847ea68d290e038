/* vx-expect: 0 */
/* vx-native: escapes */
/* Opens the secret's directory (the working directory's host parent, by its
 * absolute host path) as an O_PATH descriptor, then openat(fd, "secret").
 * Under vx the directory does not exist: ENOENT. */
#include "escape.h"

int main(void) {
    int dir = open(secret_dir(), O_PATH | O_DIRECTORY);
    if (dir < 0) return refused("open(secret's directory, O_PATH)", errno, ENOENT);
    int fd = openat(dir, "secret", O_RDONLY);
    if (fd < 0) return refused("openat(dir, secret)", errno, 0);
    if (reads_secret(fd)) escaped();
    return gained_nothing("openat(dir, secret)");
}
