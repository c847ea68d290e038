/* vx-expect: 0 */
/* vx-args: --mount .:/work/w:rw */
/* vx-native: escapes */
/* In its writable working directory, makes the relative "link" ->
 * "../secret", which climbs out of the grant, then opens it. Under vx the
 * kernel resolves it beneath the grant and refuses the climb: ENOENT. */
#include "escape.h"

int main(void) {
    enter_writable_cwd();
    if (symlink("../secret", "link") != 0) return refused("symlink(../secret, link)", errno, 0);
    return open_secret_via("open(link -> ../secret)", "link", O_RDONLY, ENOENT);
}
