/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* Writes a file of its own in the writable working directory, then renames
 * it over the secret, replacing the host's file. Under vx the destination
 * lies outside every grant: ENOENT. */
#include "escape.h"

int main(void) {
    enter_writable_cwd();
    int fd = open("forged", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "forged\n", 7) != 7 || close(fd) != 0) return refused("writing forged", errno, 0);
    if (rename("forged", secret_path()) != 0) return refused("rename(forged, VX_SECRET)", errno, ENOENT);
    char buffer[16] = {0};
    fd = open(secret_path(), O_RDONLY);
    if (fd >= 0 && read(fd, buffer, sizeof buffer - 1) == 7 && strcmp(buffer, "forged\n") == 0) escaped();
    return gained_nothing("rename(forged, VX_SECRET)");
}
