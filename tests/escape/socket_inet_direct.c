/* vx-expect: 0 */
/* vx-native: escapes */
/* socket(AF_INET, SOCK_DGRAM) through the direct i386 system call (359),
 * not socketcall. Nothing is sent. vx: ENOSYS. */
#include "escape.h"
#include <sys/socket.h>

int main(void) {
    int fd = (int)syscall(359 /* socket */, AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) return refused("socket(AF_INET) (direct)", errno, ENOSYS);
    escaped();
}
