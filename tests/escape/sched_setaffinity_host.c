/* vx-expect: 0 */
/* vx-native: escapes */
/* sched_setaffinity(VX_HOST_PID, {cpu 0}): pins the bystander to one CPU
 * (checked with sched_getaffinity). Under vx the pid is outside the tree:
 * ESRCH, as Linux answers for a pid it does not know. */
#include "escape.h"
#include <sched.h>

int main(void) {
    pid_t pid = host_pid();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(pid, sizeof set, &set) != 0) return refused("sched_setaffinity(host)", errno, ESRCH);
    CPU_ZERO(&set);
    if (sched_getaffinity(pid, sizeof set, &set) != 0) {
        fprintf(stderr, "sched_getaffinity(host): %s\n", strerror(errno));
        return errno == ESRCH ? gained_nothing("sched_setaffinity(host)") : 1;
    }
    if (CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set)) escaped();
    return gained_nothing("sched_setaffinity(host)");
}
