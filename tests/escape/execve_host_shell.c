/* vx-expect: 0 */
/* vx-native: escapes */
/* Runs the host's /bin/sh to read the secret for it: sh -c 'grep ...
 * "$VX_SECRET"', the shell itself checking what it read and printing the
 * marker. /bin/sh is outside every grant: ENOENT. */
#include "escape.h"

int main(void) {
    char* argv[] = {"sh", "-c", "grep -q \"the host's secret\" \"$VX_SECRET\" && echo ESCAPED", NULL};
    execve("/bin/sh", argv, environ);
    return refused("execve(/bin/sh)", errno, ENOENT);
}
