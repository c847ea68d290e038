/* vx-expect: 0 */
/* vx-native: escapes */
/* setresgid(0, 0, 0): join the root group in all three slots. The guest is
 * gid 1000 and stays so: EPERM. */
#include "escape.h"

int main(void) {
    if (setresgid(0, 0, 0) != 0) return refused("setresgid(0, 0, 0)", errno, EPERM);
    if (getgid() == 0 && getegid() == 0) escaped();
    return gained_nothing("setresgid(0, 0, 0)");
}
