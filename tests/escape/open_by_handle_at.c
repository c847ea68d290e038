/* vx-expect: 0 */
/* vx-native: escapes */
/* Takes a file handle of the secret with name_to_handle_at, then opens it by
 * handle (open_by_handle_at needs CAP_DAC_READ_SEARCH: root natively), which
 * bypasses path lookup altogether. Under vx there are no handles: ENOSYS. */
#include "escape.h"

int main(void) {
    struct {
        struct file_handle h;
        unsigned char bytes[MAX_HANDLE_SZ];
    } handle;
    handle.h.handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, secret_path(), &handle.h, &mount_id, 0) != 0)
        return refused("name_to_handle_at(VX_SECRET)", errno, ENOSYS);
    int fd = open_by_handle_at(AT_FDCWD, &handle.h, O_RDONLY);
    if (fd < 0) return refused("open_by_handle_at", errno, 0);
    if (reads_secret(fd)) escaped();
    return gained_nothing("open_by_handle_at");
}
