/* vx-expect: 0 */
/* vx-native: escapes */
/* syslog(SYSLOG_ACTION_READ_ALL): reads the host kernel's log, full of
 * addresses, devices and other processes' doings (nothing is cleared).
 * vx has no syslog call: ENOSYS. */
#include "escape.h"
#include <sys/klog.h>

int main(void) {
    static char log[16384];
    int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, log, sizeof log);
    if (n < 0) return refused("syslog(READ_ALL)", errno, ENOSYS);
    if (n > 0) escaped();
    return gained_nothing("syslog(READ_ALL)");
}
