/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement perf_event_open (ENOSYS) */
/* perf_event_open() on VX_HOST_PID: counts the bystander's task clock, a
 * window into a process outside the tree (checked by reading the counter).
 * vx: ENOSYS. */
#include "escape.h"
#include <linux/perf_event.h>

int main(void) {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_TASK_CLOCK;
    int fd = (int)syscall(SYS_perf_event_open, &attr, host_pid(), -1, -1, 0);
    if (fd < 0) return refused("perf_event_open(host)", errno, ENOSYS);
    unsigned long long count;
    if (read(fd, &count, sizeof count) == sizeof count) escaped();
    return gained_nothing("perf_event_open(host)");
}
