/* vx-expect: 0 */
/* vx-native: escapes */
/* kill(-1, 0): "every process I may signal", with signal 0 so that nothing
 * is sent. Natively, as root, that reaches every process on the machine.
 * Under vx it reaches only the tree's other members, and the guest is alone
 * in its tree: ESRCH. */
#include "escape.h"

int main(void) {
    if (kill(-1, 0) != 0) return refused("kill(-1, 0)", errno, ESRCH);
    escaped();
}
