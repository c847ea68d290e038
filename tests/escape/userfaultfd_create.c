/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement userfaultfd (ENOSYS) */
/* userfaultfd(): a descriptor that lets the process stall the kernel in
 * the middle of its own accesses to guest memory (a classic race widener;
 * checked with the UFFDIO_API handshake). vx: ENOSYS. */
#include "escape.h"
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

int main(void) {
    int fd = (int)syscall(374 /* userfaultfd */, O_CLOEXEC);
    if (fd < 0) return refused("userfaultfd", errno, ENOSYS);
    struct uffdio_api api = {.api = UFFD_API};
    if (ioctl(fd, UFFDIO_API, &api) == 0) escaped();
    return gained_nothing("userfaultfd");
}
