/* vx-expect: 0 */
/* vx-native: escapes */
/* setpriority(PRIO_PROCESS, VX_HOST_PID, 19): renices the bystander (checked
 * with getpriority). vx has neither: ENOSYS. */
#include "escape.h"
#include <sys/resource.h>

int main(void) {
    pid_t pid = host_pid();
    if (setpriority(PRIO_PROCESS, (id_t)pid, 19) != 0) return refused("setpriority(host, 19)", errno, ENOSYS);
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, (id_t)pid);
    if (errno == 0 && nice == 19) escaped();
    return gained_nothing("setpriority(host, 19)");
}
