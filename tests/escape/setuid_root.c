/* vx-expect: 0 */
/* vx-native: escapes */
/* setuid(0): become root (natively the guest already is, so it may). The
 * guest is uid 1000 and stays so: EPERM. */
#include "escape.h"

int main(void) {
    if (setuid(0) != 0) return refused("setuid(0)", errno, EPERM);
    if (getuid() == 0 && geteuid() == 0) escaped();
    return gained_nothing("setuid(0)");
}
