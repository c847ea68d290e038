/* vx-expect: 0 */
/* vx-native: escapes */
/* getpgid(VX_HOST_PID): the process group of a process outside the tree,
 * a step towards signalling that group. Under vx: ESRCH. */
#include "escape.h"

int main(void) {
    pid_t group = getpgid(host_pid());
    if (group < 0) return refused("getpgid(host)", errno, ESRCH);
    fprintf(stderr, "the bystander's group: %d\n", (int)group);
    escaped();
}
