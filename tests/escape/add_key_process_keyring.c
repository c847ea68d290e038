/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement add_key (ENOSYS) */
/* add_key("user", ...) into the process keyring, then keyctl(KEYCTL_READ) it
 * back: the kernel's key store, shared state outside vx's view (the process
 * keyring goes with the process). vx: ENOSYS. */
#include "escape.h"

int main(void) {
    long key = syscall(SYS_add_key, "user", "vx-escape", "payload", 7, -2 /* KEY_SPEC_PROCESS_KEYRING */);
    if (key < 0) return refused("add_key(user)", errno, ENOSYS);
    char buffer[16] = {0};
    if (syscall(SYS_keyctl, 11 /* KEYCTL_READ */, key, buffer, sizeof buffer - 1) == 7 && strcmp(buffer, "payload") == 0)
        escaped();
    return gained_nothing("add_key(user)");
}
