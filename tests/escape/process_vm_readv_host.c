/* vx-expect: 0 */
/* vx-native: escapes */
/* vx-qemu: no, qemu-i386 does not implement process_vm_readv (ENOSYS) */
/* Reads the bystander's memory with process_vm_readv: the start of its
 * first mapping (found in /proc/PID/maps natively; a guess where /proc is
 * absent), its ELF header; or, for a 64-bit bystander mapped beyond 4 GiB,
 * shows that the call gets into its address space at all. vx has no
 * process_vm_readv: ENOSYS. */
#include "escape.h"
#include <sys/uio.h>

int main(void) {
    pid_t pid = host_pid();
    unsigned long long start = 0x400000;  /* the guess */
    char path[64], maps[256];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, maps, sizeof maps - 1);
        if (n > 0) {
            maps[n] = '\0';
            start = strtoull(maps, NULL, 16);
        }
        close(fd);
    }
        char header[4] = {0};
    struct iovec local = {header, sizeof header};
    struct iovec remote = {(void*)(unsigned long)start, sizeof header};
    ssize_t n;
    if (start > 0xffffffffull) {
        /* A 64-bit bystander's memory lies beyond what an i386 process can
         * name: asking for its page at 0x1000 instead, EFAULT (rather than
         * ESRCH or EPERM) shows the call got into its address space. */
        remote.iov_base = (void*)0x1000;
        n = syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0);
        if (n < 0 && errno == EFAULT) {
            fprintf(stderr, "process_vm_readv reached the bystander's address space\n");
            escaped();
        }
    } else {
        n = syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0);
    }
    if (n < 0) return refused("process_vm_readv(host)", errno, ENOSYS);
    if (memcmp(header, "\177ELF", 4) == 0) escaped();
    return gained_nothing("process_vm_readv(host)");
}
