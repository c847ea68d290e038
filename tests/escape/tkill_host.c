/* vx-expect: 0 */
/* vx-native: escapes */
/* tkill(VX_HOST_PID, SIGTERM): the thread-directed kill, by the bystander's
 * thread id (its pid). Under vx: ESRCH. */
#include "escape.h"

int main(void) {
    pid_t pid = host_pid();
    if (syscall(SYS_tkill, pid, SIGTERM) != 0) return refused("tkill(host, SIGTERM)", errno, ESRCH);
    if (host_process_died(pid)) escaped();
    return gained_nothing("tkill(host, SIGTERM)");
}
