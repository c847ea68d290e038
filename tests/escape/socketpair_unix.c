/* vx-expect: 0 */
/* vx-native: escapes */
/* socketpair(AF_UNIX) by socketcall, checked by sending a byte across: a
 * socket needs no network, and one that can pass descriptors is a door vx
 * would have to police. vx: ENOSYS. */
#include "escape.h"
#include <sys/socket.h>

int main(void) {
    int pair[2];
    unsigned long args[4] = {AF_UNIX, SOCK_STREAM, 0, (unsigned long)pair};
    if (syscall(SYS_socketcall, 8 /* SYS_SOCKETPAIR */, args) != 0)
        return refused("socketcall(SOCKETPAIR, AF_UNIX)", errno, ENOSYS);
    char c = 0;
    if (write(pair[0], "x", 1) == 1 && read(pair[1], &c, 1) == 1 && c == 'x') escaped();
    return gained_nothing("socketpair");
}
