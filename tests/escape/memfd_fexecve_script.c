/* vx-expect: 0 */
/* vx-native: escapes */
/* Builds a program in anonymous memory (memfd_create), a "#!/bin/sh" script,
 * and runs it with fexecve: no path in any grant names it. Under vx there
 * is no memfd_create: ENOSYS. */
#include "escape.h"
#include <sys/mman.h>

int main(void) {
    static const char script[] = "#!/bin/sh\ngrep -q \"the host's secret\" \"$VX_SECRET\" && { echo ESCAPED; exit 99; }\n";
    int fd = memfd_create("payload", 0);
    if (fd < 0) return refused("memfd_create", errno, ENOSYS);
    if (write(fd, script, sizeof script - 1) != (ssize_t)(sizeof script - 1)) return refused("write", errno, 0);
    char* argv[] = {"payload", NULL};
    fexecve(fd, argv, environ);
    return refused("fexecve(memfd)", errno, 0);
}
