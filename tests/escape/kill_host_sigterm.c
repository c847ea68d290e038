/* vx-expect: 0 */
/* vx-native: escapes */
/* kill(VX_HOST_PID, SIGTERM): kills the bystander (checked natively through
 * /proc). Under vx: ESRCH. */
#include "escape.h"

int main(void) {
    pid_t pid = host_pid();
    if (kill(pid, SIGTERM) != 0) return refused("kill(host, SIGTERM)", errno, ESRCH);
    if (host_process_died(pid)) escaped();
    return gained_nothing("kill(host, SIGTERM)");
}
