/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement openat2 (ENOSYS) */
/* Calls openat2(2) itself on the secret's absolute path, with no RESOLVE_
 * restriction of its own: vx uses openat2 to confine lookups, but offers the
 * guest no openat2: ENOSYS. */
#include "escape.h"
#include <linux/openat2.h>

int main(void) {
    struct open_how how = {.flags = O_RDONLY};
    int fd = (int)syscall(437 /* openat2 */, AT_FDCWD, secret_path(), &how, sizeof how);
    if (fd < 0) return refused("openat2(VX_SECRET)", errno, ENOSYS);
    if (reads_secret(fd)) escaped();
    return gained_nothing("openat2(VX_SECRET)");
}
