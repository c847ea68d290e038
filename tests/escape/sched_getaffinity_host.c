/* vx-expect: 0 */
/* vx-native: escapes */
/* sched_getaffinity(VX_HOST_PID): reads another process's CPU mask. Under
 * vx a pid outside the tree is ESRCH. */
#include "escape.h"
#include <sched.h>

int main(void) {
    cpu_set_t set;
    if (sched_getaffinity(host_pid(), sizeof set, &set) != 0) return refused("sched_getaffinity(host)", errno, ESRCH);
    if (CPU_COUNT(&set) > 0) escaped();
    return gained_nothing("sched_getaffinity(host)");
}
