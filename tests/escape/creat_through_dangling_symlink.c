/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* Makes a dangling symlink "link" -> "../planted" in its writable working
 * directory, then open(link, O_CREAT): the kernel creates the link's target,
 * a new file outside the grant. Under vx the link's target is resolved in
 * the guest's namespace: /work/planted, in the read-only grant /work (the
 * writable grant's parent there): EROFS. */
#include "escape.h"

int main(void) {
    enter_writable_cwd();
    if (symlink("../planted", "link") != 0) return refused("symlink(../planted, link)", errno, 0);
    int fd = open("link", O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return refused("open(link, O_CREAT)", errno, EROFS);
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/planted", secret_dir());
    if (stat(path, &st) == 0) escaped();
    return gained_nothing("open(link, O_CREAT)");
}
