/* vx-expect: 0 */
/* vx-native: escapes */
/* access(VX_SECRET, R_OK): whether the file exists and is readable is
 * already a leak. Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    if (access(secret_path(), R_OK) != 0) return refused("access(VX_SECRET, R_OK)", errno, ENOENT);
    escaped();
}
