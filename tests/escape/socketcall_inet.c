/* vx-expect: 0 */
/* vx-native: escapes */
/* socketcall(SYS_SOCKET, AF_INET, SOCK_STREAM): the multiplexed i386 entry
 * to sockets, a way to the network. Nothing is connected. vx offers no
 * sockets: ENOSYS. */
#include "escape.h"
#include <sys/socket.h>

int main(void) {
    unsigned long args[3] = {AF_INET, SOCK_STREAM, 0};
    int fd = (int)syscall(SYS_socketcall, 1 /* SYS_SOCKET */, args);
    if (fd < 0) return refused("socketcall(SOCKET, AF_INET)", errno, ENOSYS);
    escaped();
}
