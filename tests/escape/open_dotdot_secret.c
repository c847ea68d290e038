/* vx-expect: 0 */
/* vx-native: escapes */
/* Opens "../secret": the working directory's host parent holds the secret.
 * Under vx ".." of /work is /, where there is no secret: ENOENT. */
#include "escape.h"

int main(void) { return open_secret_via("open(../secret)", "../secret", O_RDONLY, ENOENT); }
