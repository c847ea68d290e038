/* vx-expect: 0 */
/* vx-native: escapes */
/* rt_sigqueueinfo(VX_HOST_PID, SIGTERM, info): sends a queued signal with a
 * siginfo of the guest's making (si_code SI_QUEUE, a forged sender). vx
 * has no rt_sigqueueinfo: ENOSYS. */
#include "escape.h"

int main(void) {
    pid_t pid = host_pid();
    siginfo_t info;
    memset(&info, 0, sizeof info);
    info.si_signo = SIGTERM;
    info.si_code = SI_QUEUE;
    info.si_pid = 1;  /* claims to come from init */
    if (syscall(SYS_rt_sigqueueinfo, pid, SIGTERM, &info) != 0)
        return refused("rt_sigqueueinfo(host, SIGTERM)", errno, ENOSYS);
    if (host_process_died(pid)) escaped();
    return gained_nothing("rt_sigqueueinfo(host, SIGTERM)");
}
