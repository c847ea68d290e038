/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement bpf (ENOSYS) */
/* bpf(BPF_MAP_CREATE): the kernel's in-kernel virtual machine (a map is the
 * first step to loading programs into the kernel; it vanishes at exit).
 * vx: ENOSYS. */
#include "escape.h"
#include <linux/bpf.h>

int main(void) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    int fd = (int)syscall(357 /* bpf */, BPF_MAP_CREATE, &attr, sizeof attr);
    if (fd < 0) return refused("bpf(MAP_CREATE)", errno, ENOSYS);
    escaped();
}
