/* vx-expect: 0 */
/* vx-native: escapes */
/* Opens the working directory as a descriptor, then openat(fd, "../secret"):
 * the ".." is taken from a directory descriptor rather than a path. Under
 * vx: ENOENT. */
#include "escape.h"

int main(void) {
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    if (dir < 0) return refused("open(.)", errno, 0);
    int fd = openat(dir, "../secret", O_RDONLY);
    if (fd < 0) return refused("openat(cwd, ../secret)", errno, ENOENT);
    if (reads_secret(fd)) escaped();
    return gained_nothing("openat(cwd, ../secret)");
}
