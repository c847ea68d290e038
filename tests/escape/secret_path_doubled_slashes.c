/* vx-expect: 0 */
/* vx-native: escapes */
/* The secret's path spelled differently, to defeat a textual check: each
 * "/" made "//.//", as in "//.//tmp//.//x//.//secret". Under vx: ENOENT. */
#include "escape.h"

int main(void) {
    const char* secret = secret_path();
    static char path[8192];
    size_t n = 0;
    for (const char* p = secret; *p && n < sizeof path - 8; ++p) {
        if (*p == '/') n += (size_t)snprintf(path + n, sizeof path - n, "//.//");
        else path[n++] = *p;
    }
    path[n] = '\0';
    return open_secret_via("open(//.//-spelled VX_SECRET)", path, O_RDONLY, ENOENT);
}
