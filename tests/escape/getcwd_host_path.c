/* vx-expect: 0 */
/* vx-native: escapes */
/* getcwd() natively tells the host path of the working directory, whose
 * parent is the secret's directory: it leaks where on the host the guest
 * is. Under vx it must be the guest's path (/work) and tell nothing. */
#include "escape.h"

int main(void) {
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return refused("getcwd", errno, 0);
    fprintf(stderr, "getcwd: %s\n", cwd);
    if (strstr(cwd, secret_dir()) == cwd) escaped();
    return strcmp(cwd, "/work") == 0 ? 0 : 1;
}
