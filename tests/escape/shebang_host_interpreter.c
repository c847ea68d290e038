/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* Writes a script in its writable working directory whose "#!" line names
 * the host's /bin/sh, and executes it: the kernel (or vx) must find the
 * interpreter, which lies outside every grant: ENOENT. */
#include "escape.h"

int main(void) {
    enter_writable_cwd();
    static const char script[] = "#!/bin/sh\ngrep -q \"the host's secret\" \"$VX_SECRET\" && echo ESCAPED\n";
    int fd = open("script", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    if (fd < 0 || write(fd, script, sizeof script - 1) != (ssize_t)(sizeof script - 1) || close(fd) != 0)
        return refused("writing the script", errno, 0);
    char* argv[] = {"script", NULL};
    execve("./script", argv, environ);
    return refused("execve(#!/bin/sh script)", errno, ENOENT);
}
