/* vx-expect: 0 */
/* vx-native: escapes */
/* Makes the kernel signal the bystander for it: a pipe whose owner
 * (F_SETOWN) is VX_HOST_PID, in O_ASYNC mode, then a write: the kernel
 * sends SIGIO to the owner, which kills it. vx offers neither F_SETOWN nor
 * O_ASYNC: EINVAL. */
#include "escape.h"

int main(void) {
    pid_t pid = host_pid();
    int ends[2];
    if (pipe(ends) != 0) return refused("pipe", errno, 0);
    if (fcntl(ends[0], F_SETOWN, pid) != 0) return refused("fcntl(F_SETOWN, host)", errno, EINVAL);
    if (fcntl(ends[0], F_SETFL, O_ASYNC) != 0) return refused("fcntl(F_SETFL, O_ASYNC)", errno, 0);
    if (write(ends[1], "x", 1) != 1) return refused("write", errno, 0);
    if (host_process_died(pid)) escaped();
    return gained_nothing("F_SETOWN + O_ASYNC");
}
