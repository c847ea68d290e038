/* vx-expect: 0 */
/* vx-native: escapes */
/* Creates "../planted", a new file beside the secret, outside the grant
 * (checked natively by stat through the secret's directory). Under vx
 * /planted lies outside every grant: ENOENT. */
#include "escape.h"

int main(void) {
    int fd = open("../planted", O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0) return refused("open(../planted, O_CREAT)", errno, ENOENT);
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/planted", secret_dir());
    if (stat(path, &st) == 0) escaped();
    return gained_nothing("open(../planted, O_CREAT)");
}
