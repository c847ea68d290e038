/* vx-expect: 0 */
/* vx-native: escapes */
/* capset(): ask for every capability in the effective set (natively root
 * holds them, so it may; checked with capget: CAP_SYS_ADMIN effective).
 * vx has neither capget nor capset: ENOSYS. */
#include "escape.h"
#include <linux/capability.h>

int main(void) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &header, data) != 0) {
        /* No capget: ask for everything blindly. */
        for (int i = 0; i < 2; ++i) data[i].effective = data[i].permitted = 0xffffffffu;
    }
    data[0].effective = data[0].permitted;
    data[1].effective = data[1].permitted;
    if (syscall(SYS_capset, &header, data) != 0) return refused("capset(everything)", errno, ENOSYS);
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &header, data) == 0 && (data[0].effective & (1u << CAP_SYS_ADMIN))) escaped();
    return gained_nothing("capset(everything)");
}
