/* vx-expect: 0 */
/* vx-native: escapes */
/* getppid(): natively the host pid of whatever started the guest, a live
 * host process it may then probe (kill(ppid, 0)). Under vx the first
 * process's parent is 0, outside the tree. */
#include "escape.h"

int main(void) {
    pid_t parent = getppid();
    fprintf(stderr, "getppid: %d\n", (int)parent);
    if (parent > 1 && kill(parent, 0) == 0) escaped();
    return parent == 0 ? 0 : 1;
}
