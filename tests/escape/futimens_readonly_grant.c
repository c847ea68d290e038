/* vx-expect: 0 */
/* vx-native: escapes */
/* Changes the times of a file in a read-only grant through a descriptor:
 * opens the working directory (/work, granted read-only) O_RDONLY and
 * futimens()s it to 1970 (checked with fstat). utimensat by path is EROFS
 * there; so must the descriptor's form be. */
#include "escape.h"

int main(void) {
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    if (fd < 0) return refused("open(.)", errno, 0);
    struct timespec times[2] = {{1, 0}, {1, 0}};
    struct stat st;
    if (futimens(fd, times) != 0) return refused("futimens(., 1970)", errno, EROFS);
    if (fstat(fd, &st) == 0 && st.st_mtime == 1) {
        fprintf(stderr, "futimens(., 1970) changed a directory in a read-only grant\n");
        escaped();
    }
    return gained_nothing("futimens(., 1970)");
}
