/* vx-expect: 0 */
/* vx-native: escapes */
/* setns() with a namespace descriptor: natively it joins the network
 * namespace it is in already (/proc/self/ns/net), which changes nothing;
 * that it may is the escape (another process's namespace would be the next
 * step). Under vx there is no /proc (ENOENT) and no setns (ENOSYS), which it
 * tries anyway on the descriptor it has. */
#include "escape.h"
#include <sched.h>

int main(void) {
    int fd = open("/proc/self/ns/net", O_RDONLY);
    int open_error = fd < 0 ? errno : 0;
    if (setns(fd, CLONE_NEWNET) == 0) escaped();
    int setns_error = errno;
    fprintf(stderr, "open(/proc/self/ns/net): %s\n", strerror(open_error));
    if (open_error != ENOENT) return 1;
    return refused("setns(net)", setns_error, ENOSYS);
}
