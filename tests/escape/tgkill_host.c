/* vx-expect: 0 */
/* vx-native: escapes */
/* tgkill(VX_HOST_PID, VX_HOST_PID, SIGTERM): the thread-group kill. Under
 * vx: ESRCH. */
#include "escape.h"

int main(void) {
    pid_t pid = host_pid();
    if (syscall(SYS_tgkill, pid, pid, SIGTERM) != 0) return refused("tgkill(host, host, SIGTERM)", errno, ESRCH);
    if (host_process_died(pid)) escaped();
    return gained_nothing("tgkill(host, host, SIGTERM)");
}
