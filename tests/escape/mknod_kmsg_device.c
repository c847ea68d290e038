/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* mknod() a device node of its own in the writable working directory: the
 * kernel log device (char 1:11, /dev/kmsg), then reads a record of the host
 * kernel's log through it. (Natively block devices are refused on this
 * machine even to root, so the disk itself is not tried.) vx has no mknod:
 * ENOSYS. */
#include "escape.h"
#include <sys/sysmacros.h>

int main(void) {
    enter_writable_cwd();
    if (mknod("kmsg", S_IFCHR | 0600, makedev(1, 11)) != 0) return refused("mknod(kmsg, char 1:11)", errno, ENOSYS);
    int fd = open("kmsg", O_RDONLY | O_NONBLOCK);
    if (fd < 0) return refused("open(kmsg)", errno, 0);
    static char record[8192];
    ssize_t n = read(fd, record, sizeof record);
    if (n > 0) {
        fprintf(stderr, "the host kernel's log: %.60s\n", record);
        escaped();
    }
    return refused("read(kmsg)", errno, 0);
}
