/* vx-expect: 0 */
/* vx-native: escapes */
/* Changes the mode of a file in a read-only grant through a descriptor
 * instead of a path: opens the working directory (/work, granted
 * read-only) O_RDONLY and fchmod()s it to 0700 (checked with fstat). chmod
 * by path is EROFS there; so must fchmod be. */
#include "escape.h"

int main(void) {
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    if (fd < 0) return refused("open(.)", errno, 0);
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & 07777) == 0700) return 4;  /* the change must show */
    if (fchmod(fd, 0700) != 0) return refused("fchmod(., 0700)", errno, EROFS);
    if (fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0700) {
        fprintf(stderr, "fchmod(., 0700) changed a directory in a read-only grant\n");
        escaped();
    }
    return gained_nothing("fchmod(., 0700)");
}
