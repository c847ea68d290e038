/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement ptrace (ENOSYS) */
/* ptrace(PTRACE_SEIZE, VX_HOST_PID), the attach that does not stop the
 * tracee, then PTRACE_INTERRUPT to stop it at will (checked by waiting for
 * the stop; then detached). vx has no ptrace: ENOSYS. */
#include "escape.h"
#include <sys/ptrace.h>
#include <sys/wait.h>

int main(void) {
    pid_t pid = host_pid();
    if (ptrace(PTRACE_SEIZE, pid, NULL, NULL) != 0) return refused("ptrace(SEIZE, host)", errno, ENOSYS);
    if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) != 0) return refused("ptrace(INTERRUPT, host)", errno, 0);
    int status;
    pid_t got = waitpid(pid, &status, __WALL);
    ptrace(PTRACE_DETACH, pid, NULL, NULL);
    if (got == pid && WIFSTOPPED(status)) escaped();
    return gained_nothing("ptrace(SEIZE, host)");
}
