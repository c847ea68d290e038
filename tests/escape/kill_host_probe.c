/* vx-expect: 0 */
/* vx-native: escapes */
/* kill(VX_HOST_PID, 0): signal 0 only asks whether the process exists and
 * may be signalled. A host process outside the guest's tree is no process
 * of the guest's: ESRCH. */
#include "escape.h"

int main(void) {
    if (kill(host_pid(), 0) != 0) return refused("kill(host, 0)", errno, ESRCH);
    escaped();
}
