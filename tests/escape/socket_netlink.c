/* vx-expect: 0 */
/* vx-native: escapes */
/* socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) by socketcall: the kernel's
 * configuration channel (nothing is sent). vx: ENOSYS. */
#include "escape.h"
#include <sys/socket.h>
#include <linux/netlink.h>

int main(void) {
    unsigned long args[3] = {AF_NETLINK, SOCK_RAW, NETLINK_ROUTE};
    int fd = (int)syscall(SYS_socketcall, 1 /* SYS_SOCKET */, args);
    if (fd < 0) return refused("socketcall(SOCKET, AF_NETLINK)", errno, ENOSYS);
    escaped();
}
