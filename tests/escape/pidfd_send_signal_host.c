/* vx-expect: 0 */
/* vx-native: escapes */
/* pidfd_open(VX_HOST_PID) then pidfd_send_signal(SIGTERM): vx itself
 * signals its members this way, but offers the guest no pidfds: ENOSYS. */
#include "escape.h"

int main(void) {
    pid_t pid = host_pid();
    int pidfd = (int)syscall(434 /* pidfd_open */, pid, 0);
    if (pidfd < 0) return refused("pidfd_open(host)", errno, ENOSYS);
    if (syscall(424 /* pidfd_send_signal */, pidfd, SIGTERM, NULL, 0) != 0)
        return refused("pidfd_send_signal(SIGTERM)", errno, 0);
    if (host_process_died(pid)) escaped();
    return gained_nothing("pidfd_send_signal(SIGTERM)");
}
