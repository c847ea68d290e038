/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement ptrace (ENOSYS) */
/* ptrace(PTRACE_TRACEME): hands the guest to its parent to trace. Under vx
 * the parent is vxrun's: no ptrace at all, ENOSYS. */
#include "escape.h"
#include <sys/ptrace.h>

int main(void) {
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) return refused("ptrace(TRACEME)", errno, ENOSYS);
    escaped();
}
