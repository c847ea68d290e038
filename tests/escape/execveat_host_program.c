/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement execveat (ENOSYS) */
/* execveat(2), the descriptor-relative execve, on the host's /bin/sh: vx
 * offers only execve: ENOSYS. */
#include "escape.h"

int main(void) {
    char* argv[] = {"sh", "-c", "grep -q \"the host's secret\" \"$VX_SECRET\" && echo ESCAPED", NULL};
    syscall(358 /* execveat */, AT_FDCWD, "/bin/sh", argv, environ, 0);
    return refused("execveat(/bin/sh)", errno, ENOSYS);
}
