/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement ptrace (ENOSYS) */
/* ptrace(PTRACE_ATTACH, VX_HOST_PID): stops the bystander and takes control
 * of it (checked by waiting for its stop; then detached, so it carries on).
 * vx has no ptrace: ENOSYS. */
#include "escape.h"
#include <sys/ptrace.h>
#include <sys/wait.h>

int main(void) {
    pid_t pid = host_pid();
    if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0) return refused("ptrace(ATTACH, host)", errno, ENOSYS);
    int status;
    pid_t got = waitpid(pid, &status, __WALL);
    ptrace(PTRACE_DETACH, pid, NULL, NULL);
    if (got == pid && WIFSTOPPED(status)) escaped();
    return gained_nothing("ptrace(ATTACH, host)");
}
