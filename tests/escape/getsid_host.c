/* vx-expect: 0 */
/* vx-native: escapes */
/* getsid(VX_HOST_PID): the session of a process outside the tree. vx has no
 * getsid: ENOSYS. */
#include "escape.h"

int main(void) {
    pid_t session = getsid(host_pid());
    if (session < 0) return refused("getsid(host)", errno, ENOSYS);
    fprintf(stderr, "the bystander's session: %d\n", (int)session);
    escaped();
}
