/* vx-expect: 0 */
/* vx-native: escapes */
/* A path of PATH_MAX-1 bytes, the longest Linux takes: "././././..." up to
 * the very end, then "../secret". A sandbox that cut the path short or
 * checked only its beginning would be fooled. Under vx: ENOENT. */
#include "escape.h"
#include <limits.h>

int main(void) {
    static char path[PATH_MAX];
    const char* tail = "../secret";
    size_t pad = PATH_MAX - 1 - strlen(tail);
    for (size_t i = 0; i < pad; i += 2) memcpy(path + i, "./", 2);
    if (pad % 2) path[pad - 1] = '/';
    strcpy(path + pad, tail);
    if (strlen(path) != PATH_MAX - 1) return 4;
    return open_secret_via("open(./././.../../secret)", path, O_RDONLY, ENOENT);
}
