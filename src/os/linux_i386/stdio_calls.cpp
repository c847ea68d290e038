// Calls on the standard descriptors 0-2, the only files a guest has until the
// file namespace exists. Every guest buffer is checked against guest memory.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

constexpr uint32_t kMaxTransfer = 1u << 20;
constexpr uint32_t kMaxIovecs = 1024;
constexpr uint32_t kTcgets = 0x5401, kTiocgwinsz = 0x5413;
constexpr uint32_t kStatxSize = 256;

bool is_stdio(uint32_t fd) { return fd <= 2; }

int32_t result_of(ssize_t n) { return n < 0 ? fail(errno) : int32_t(n); }

// struct stat64 of an i386 process (asm/stat.h).
struct __attribute__((packed)) Stat64 {
    uint64_t dev;
    uint8_t pad0[4];
    uint32_t short_ino;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint64_t rdev;
    uint8_t pad3[4];
    int64_t size;
    uint32_t blksize;
    uint64_t blocks;
    uint32_t atime, atime_nsec, mtime, mtime_nsec, ctime, ctime_nsec;
    uint64_t ino;
};
static_assert(sizeof(Stat64) == 96);

Stat64 to_stat64(const struct stat& st) {
    Stat64 s{};
    s.dev = st.st_dev;
    s.short_ino = uint32_t(st.st_ino);
    s.mode = st.st_mode;
    s.nlink = uint32_t(st.st_nlink);
    s.uid = st.st_uid;
    s.gid = st.st_gid;
    s.rdev = st.st_rdev;
    s.size = st.st_size;
    s.blksize = uint32_t(st.st_blksize);
    s.blocks = uint64_t(st.st_blocks);
    s.atime = uint32_t(st.st_atim.tv_sec);
    s.atime_nsec = uint32_t(st.st_atim.tv_nsec);
    s.mtime = uint32_t(st.st_mtim.tv_sec);
    s.mtime_nsec = uint32_t(st.st_mtim.tv_nsec);
    s.ctime = uint32_t(st.st_ctim.tv_sec);
    s.ctime_nsec = uint32_t(st.st_ctim.tv_nsec);
    s.ino = st.st_ino;
    return s;
}

}  // namespace

int32_t LinuxProcess::sys_read(const SyscallArgs& a) {
    if (!is_stdio(a.a[0])) return fail(EBADF);
    uint32_t length = std::min(a.a[2], kMaxTransfer);
    if (!memory_.accessible(a.a[1], length, kWrite)) return fail(EFAULT);
    return result_of(::read(int(a.a[0]), memory_.host_base() + a.a[1], length));
}

int32_t LinuxProcess::sys_write(const SyscallArgs& a) {
    if (!is_stdio(a.a[0])) return fail(EBADF);
    uint32_t length = std::min(a.a[2], kMaxTransfer);
    if (!memory_.accessible(a.a[1], length, kRead)) return fail(EFAULT);
    return result_of(::write(int(a.a[0]), memory_.host_base() + a.a[1], length));
}

// readv/writev: the guest's iovecs, checked, as host iovecs into guest memory.
static int32_t host_iovecs(const GuestMemory& memory, uint32_t address, uint32_t count, Perm needed,
                           std::vector<iovec>& out) {
    if (count > kMaxIovecs) return fail(EINVAL);
    std::vector<Iovec32> guest(count);
    if (count && !memory.read(address, guest.data(), count * sizeof(Iovec32))) return fail(EFAULT);
    uint64_t total = 0;
    for (const Iovec32& v : guest) {
        if (!memory.accessible(v.base, v.length, needed)) return fail(EFAULT);
        total += v.length;
        if (total > INT32_MAX) return fail(EINVAL);
        out.push_back({memory.host_base() + v.base, v.length});
    }
    return 0;
}

int32_t LinuxProcess::sys_readv(const SyscallArgs& a) {
    if (!is_stdio(a.a[0])) return fail(EBADF);
    std::vector<iovec> iov;
    if (int32_t error = host_iovecs(memory_, a.a[1], a.a[2], kWrite, iov)) return error;
    return result_of(::readv(int(a.a[0]), iov.data(), int(iov.size())));
}

int32_t LinuxProcess::sys_writev(const SyscallArgs& a) {
    if (!is_stdio(a.a[0])) return fail(EBADF);
    std::vector<iovec> iov;
    if (int32_t error = host_iovecs(memory_, a.a[1], a.a[2], kRead, iov)) return error;
    return result_of(::writev(int(a.a[0]), iov.data(), int(iov.size())));
}

int32_t LinuxProcess::sys_ioctl(const SyscallArgs& a) {
    if (!is_stdio(a.a[0])) return fail(EBADF);
    switch (a.a[1]) {
    case kTcgets: {  // struct termios is the same for i386 and x86-64 processes
        termios t;
        if (::ioctl(int(a.a[0]), TCGETS, &t) != 0) return fail(errno);
        return memory_.write(a.a[2], &t, sizeof t) ? 0 : fail(EFAULT);
    }
    case kTiocgwinsz: {
        winsize w;
        if (::ioctl(int(a.a[0]), TIOCGWINSZ, &w) != 0) return fail(errno);
        return memory_.write(a.a[2], &w, sizeof w) ? 0 : fail(EFAULT);
    }
    default:
        return fail(ENOTTY);
    }
}

int32_t LinuxProcess::sys_fstat64(const SyscallArgs& a) {
    if (!is_stdio(a.a[0])) return fail(EBADF);
    struct stat st;
    if (::fstat(int(a.a[0]), &st) != 0) return fail(errno);
    Stat64 s = to_stat64(st);
    return memory_.write(a.a[1], &s, sizeof s) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_statx(const SyscallArgs& a) {
    // Only statx(fd, "", AT_EMPTY_PATH, ...) on the standard descriptors:
    // there are no paths to look up yet.
    char first = 1;
    if (!memory_.read(a.a[1], &first, 1)) return fail(EFAULT);
    if (first != '\0' || !(a.a[2] & AT_EMPTY_PATH)) return fail(ENOENT);
    if (!is_stdio(a.a[0])) return fail(EBADF);
    uint8_t buffer[kStatxSize];  // struct statx is the same for every architecture
    if (syscall(SYS_statx, int(a.a[0]), "", int(a.a[2]), a.a[3], buffer) != 0) return fail(errno);
    return memory_.write(a.a[4], buffer, sizeof buffer) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_readlink(const SyscallArgs& a) {
    char path[64];
    size_t n = 0;
    while (n < sizeof path && memory_.read(a.a[0] + uint32_t(n), path + n, 1) && path[n]) ++n;
    if (n == sizeof path || !memory_.accessible(a.a[0], n + 1, kRead)) return fail(n == sizeof path ? ENOENT : EFAULT);
    if (std::strcmp(path, "/proc/self/exe") != 0) return fail(ENOENT);
    uint32_t length = std::min<uint32_t>(a.a[2], uint32_t(options_.exe_path.size()));
    return memory_.write(a.a[1], options_.exe_path.data(), length) ? int32_t(length) : fail(EFAULT);
}

}  // namespace vx::os::linux_i386
