/* vx-expect: 0 */
/* vx-native: escapes */
/* Steals a descriptor from the bystander: pidfd_open(VX_HOST_PID), then
 * pidfd_getfd(pidfd, 1), a copy of its stdout in the guest's table. Under
 * vx: ENOSYS. */
#include "escape.h"

int main(void) {
    int pidfd = (int)syscall(434 /* pidfd_open */, host_pid(), 0);
    if (pidfd < 0) return refused("pidfd_open(host)", errno, ENOSYS);
    int fd = (int)syscall(438 /* pidfd_getfd */, pidfd, 1, 0);
    if (fd < 0) return refused("pidfd_getfd(host, 1)", errno, 0);
    struct stat st;
    if (fstat(fd, &st) == 0) escaped();
    return gained_nothing("pidfd_getfd(host, 1)");
}
