/* vx-expect: 0 */
/* vx-native: escapes */
/* Opens the secret by its absolute host path, as handed over in VX_SECRET:
 * outside every grant, vx must say it does not exist. */
#include "escape.h"

int main(void) { return open_secret_via("open(VX_SECRET)", secret_path(), O_RDONLY, ENOENT); }
