/* vx-expect: 0 */
/* vx-native: escapes */
/* Goes through the magic link /proc/self/cwd, the host directory behind the
 * working directory, and up from it: /proc/self/cwd/../secret. /proc is
 * absent under vx: ENOENT. */
#include "escape.h"

int main(void) { return open_secret_via("open(/proc/self/cwd/../secret)", "/proc/self/cwd/../secret", O_RDONLY, ENOENT); }
