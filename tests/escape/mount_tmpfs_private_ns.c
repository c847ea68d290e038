/* vx-expect: 0 */
/* vx-native: escapes */
/* mount(): natively, only ever inside a mount namespace of its own, made
 * private first so that nothing propagates back: mounts a tmpfs on a
 * directory and checks with statfs that it is one. If it cannot get a
 * private namespace, it mounts nothing at all, and calls mount with a target
 * that is no valid address (EFAULT natively, which changes nothing), to see
 * what vx answers: ENOSYS. */
#include "escape.h"
#include <sched.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <linux/magic.h>

int main(void) {
    if (unshare(CLONE_NEWNS) == 0) {
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) return refused("making / private", errno, 0);
        const char* dir = "mnt";  /* in the working directory */
        if (mkdir(dir, 0700) != 0) return refused("mkdir(mnt)", errno, 0);
        if (mount("vx", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k") != 0)
            return refused("mount(tmpfs)", errno, ENOSYS);
        struct statfs fs;
        if (statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC) escaped();
        return gained_nothing("mount(tmpfs)");
    }
    int unshare_error = errno;
    if (mount("vx", (const char*)8, "tmpfs", 0, NULL) == 0) return gained_nothing("mount at address 8");
    int mount_error = errno;
    fprintf(stderr, "unshare(CLONE_NEWNS): %s\n", strerror(unshare_error));
    if (unshare_error != ENOSYS) return 1;
    return refused("mount", mount_error, ENOSYS);
}
