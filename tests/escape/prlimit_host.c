/* vx-expect: 0 */
/* vx-native: escapes */
/* prlimit(VX_HOST_PID, RLIMIT_CORE): reads another process's core-dump
 * limit, then sets it to what it already is (a write that changes nothing:
 * the right to set it is the escape). Under vx a pid outside the tree is
 * ESRCH. */
#include "escape.h"
#include <sys/resource.h>

int main(void) {
    pid_t pid = host_pid();
    struct rlimit old;
    if (prlimit(pid, RLIMIT_CORE, NULL, &old) != 0) return refused("prlimit(host, RLIMIT_CORE, get)", errno, ESRCH);
    if (prlimit(pid, RLIMIT_CORE, &old, NULL) != 0) return refused("prlimit(host, RLIMIT_CORE, set)", errno, 0);
    escaped();
}
