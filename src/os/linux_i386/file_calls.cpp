// Files: descriptors, paths resolved in the file namespace of grants
// (file_namespace.h), and their metadata. Every guest buffer is checked
// against guest memory.
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <climits>
#include <string>
#include <vector>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

constexpr uint32_t kMaxTransfer = 1u << 20;
constexpr uint32_t kMaxIovecs = 1024;
// The terminal ioctls a guest may use on its descriptors (numbers as i386
// and x86-64 share them): get and set the modes, flush, window size, bytes
// waiting. Nothing that changes which process owns the terminal.
constexpr uint32_t kTcgets = 0x5401, kTcsets = 0x5402, kTcsetsw = 0x5403, kTcsetsf = 0x5404, kTcflsh = 0x540b,
                   kTiocgwinsz = 0x5413, kFionread = 0x541b;
constexpr uint32_t kStatxSize = 256;
// What TCGETS fills in: asm-generic's struct termios, 19 control characters.
struct KernelTermios {
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line;
    uint8_t cc[19];
};
static_assert(sizeof(KernelTermios) == 36);

// fcntl's record-lock commands as i386 numbers them (the 64 ones take flock64).
constexpr uint32_t kGetLk = 5, kSetLk = 6, kSetLkw = 7, kGetLk64 = 12, kSetLk64 = 13, kSetLkw64 = 14;

struct Flock32 {
    int16_t type, whence;
    int32_t start, len, pid;
};
struct __attribute__((packed)) Flock64 {
    int16_t type, whence;
    int64_t start, len;
    int32_t pid;
};
static_assert(sizeof(Flock64) == 24);
// open(2) flags with the same meaning for i386 and x86-64 that a guest may use.
constexpr uint32_t kAllowedOpenFlags = O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND |
                                       O_NONBLOCK | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_PATH |
                                       0100000 /* O_LARGEFILE */;

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

// `synthetic`: a directory the namespace makes up, whose owner is already the guest's view.
Stat64 to_stat64(const struct stat& st, bool synthetic = false) {
    Stat64 s{};
    s.dev = st.st_dev;
    s.short_ino = uint32_t(st.st_ino);
    s.mode = st.st_mode;
    s.nlink = uint32_t(st.st_nlink);
    s.uid = synthetic ? st.st_uid : guest_owner_uid(st.st_uid);
    s.gid = synthetic ? st.st_gid : guest_owner_gid(st.st_gid);
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

int32_t LinuxProcess::read_path(uint32_t address, std::string& out) const {
    out.clear();
    for (uint32_t i = 0; i < PATH_MAX; ++i) {
        char c;
        if (!memory_.read(address + i, &c, 1)) return fail(EFAULT);
        if (c == '\0') return 0;
        out.push_back(c);
    }
    return fail(ENAMETOOLONG);
}

int32_t LinuxProcess::origin(uint32_t dirfd, const std::string& path, At& at) const {
    if (path.starts_with("/") || int32_t(dirfd) == AT_FDCWD) {
        at = files_.cwd();
        return 0;
    }
    const Descriptor* dir = descriptors_.find(dirfd);
    if (!dir) return fail(EBADF);
    if (!dir->place.in_namespace()) return fail(ENOTDIR);
    at = {&dir->place, dir->host};
    return 0;
}

int32_t LinuxProcess::open_at(uint32_t dirfd, const std::string& path, int flags, int mode, Place* opened) const {
    At at;
    if (int32_t error = origin(dirfd, path, at)) return error;
    if (path.empty()) return fail(ENOENT);
    Place place;
    int host = files_.open(at, path, flags, mode, place);
    if (opened) *opened = std::move(place);
    return host;
}

int32_t LinuxProcess::lookup_at(uint32_t dirfd, const std::string& path, bool follow, Entry& found) const {
    At at;
    if (int32_t error = origin(dirfd, path, at)) return error;
    if (path.empty()) return fail(ENOENT);
    return files_.lookup(at, path, follow, found);
}

int32_t LinuxProcess::sys_open(const SyscallArgs& a) {
    const uint32_t path = a.a[0], flags = a.a[1], mode = a.a[2];
    return open_file(uint32_t(AT_FDCWD), path, flags, mode);
}

int32_t LinuxProcess::sys_openat(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path = a.a[1], flags = a.a[2], mode = a.a[3];
    return open_file(dirfd, path, flags, mode);
}

int32_t LinuxProcess::open_file(uint32_t dirfd, uint32_t path_address, uint32_t flags, uint32_t mode) {
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    Place opened;
    int host = open_at(dirfd, path, int(flags & kAllowedOpenFlags), int(mode & ~umask_), &opened);
    if (host < 0) return host;
    return descriptors_.install(host, 0, flags & O_CLOEXEC, std::move(opened));
}

int32_t LinuxProcess::sys_close(const SyscallArgs& a) {
    const uint32_t fd = a.a[0];
    return descriptors_.close(fd);
}

// Each open descriptor in [first, last] closed, or marked close-on-exec
// (CLOSE_RANGE_CLOEXEC); CLOSE_RANGE_UNSHARE changes nothing, for a guest
// process's table is its own already. EINVAL for other flags, or first past
// last, as Linux.
int32_t LinuxProcess::sys_close_range(const SyscallArgs& a) {
    const uint32_t first = a.a[0], last = a.a[1], flags = a.a[2];
    if ((flags & ~uint32_t(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) || first > last) return fail(EINVAL);
    const uint64_t end = std::min<uint64_t>(uint64_t(last) + 1, descriptors_.limit());
    for (uint64_t fd = first; fd < end; ++fd) {
        Descriptor* d = descriptors_.find(uint32_t(fd));
        if (!d) continue;
        if (flags & CLOSE_RANGE_CLOEXEC) d->close_on_exec = true;
        else descriptors_.close(uint32_t(fd));
    }
    return 0;
}

int32_t LinuxProcess::sys_read(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], buffer = a.a[1], count = a.a[2];
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    uint32_t length = std::min(count, kMaxTransfer);
    if (!memory_.accessible(buffer, length, kWrite)) return fail(EFAULT);
    return result_of(blocking(SYS_read, host, memory_.host_base() + buffer, length));
}

int32_t LinuxProcess::admit_write(int host, uint64_t count, int64_t offset, bool check_file_size) {
    if (count == 0) return 0;
    if (options_.max_file_size && check_file_size) {
        struct stat st;
        if (::fstat(host, &st) == 0 && S_ISREG(st.st_mode)) {  // only files have a size to limit
            // Where the write lands: at the end under O_APPEND (for pwrite
            // too, as on Linux), else at the offset or the file position.
            int mode = ::fcntl(host, F_GETFL);
            int64_t at = mode >= 0 && (mode & O_APPEND) ? int64_t(st.st_size)
                         : offset >= 0                  ? offset
                                                        : ::lseek(host, 0, SEEK_CUR);
            if (at >= 0)  // else the write itself fails
                if (int32_t error = admit_file_size(uint64_t(at) + count)) return error;
        }
    }
    if (options_.max_output) {
        // Taken from the tree's count before the write, so that processes
        // writing at once cannot together pass the limit.
        std::atomic<uint64_t>& written = tree_->output_written();
        uint64_t before = written.fetch_add(count);
        if (before + count > *options_.max_output) {
            written.fetch_sub(count);
            sandbox_.exceed({Limit::Output, before + count, *options_.max_output});
            return fail(EIO);
        }
    }
    return 0;
}

int32_t LinuxProcess::admit_file_size(uint64_t size) {
    if (!options_.max_file_size || size <= *options_.max_file_size) return 0;
    sandbox_.exceed({Limit::FileSize, size, *options_.max_file_size});
    return fail(EFBIG);
}

int32_t LinuxProcess::count_output(int host, ssize_t written, uint64_t admitted) {
    const int error = errno;
    check_file_size_after(host, written, admitted);
    errno = error;
    uint64_t done = written > 0 ? uint64_t(written) : 0;
    if (options_.max_output && admitted > done) tree_->output_written().fetch_sub(admitted - done);
    return result_of(written);
}

int32_t LinuxProcess::sys_write(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], buffer = a.a[1], count = a.a[2];
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    uint32_t length = std::min(count, kMaxTransfer);
    if (!memory_.accessible(buffer, length, kRead)) return fail(EFAULT);
    if (int32_t error = admit_write(host, length, -1)) return error;
    return count_output(host, blocking(SYS_write, host, memory_.host_base() + buffer, length), length);
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
    const uint32_t fd = a.a[0], vectors = a.a[1], count = a.a[2];
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    std::vector<iovec> iov;
    if (int32_t error = host_iovecs(memory_, vectors, count, kWrite, iov)) return error;
    return result_of(blocking(SYS_readv, host, iov.data(), iov.size()));
}

int32_t LinuxProcess::sys_writev(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], vectors = a.a[1], count = a.a[2];
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    std::vector<iovec> iov;
    if (int32_t error = host_iovecs(memory_, vectors, count, kRead, iov)) return error;
    uint64_t total = 0;
    for (const iovec& v : iov) total += v.iov_len;
    if (int32_t error = admit_write(host, total, -1)) return error;
    return count_output(host, blocking(SYS_writev, host, iov.data(), iov.size()), total);
}

int32_t LinuxProcess::sys_pread64(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], buffer = a.a[1], count = a.a[2];
    const int64_t offset = join64(a.a[3], a.a[4]);
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    uint32_t length = std::min(count, kMaxTransfer);
    if (!memory_.accessible(buffer, length, kWrite)) return fail(EFAULT);
    if (offset < 0) return fail(EINVAL);
    return result_of(::pread(host, memory_.host_base() + buffer, length, offset));
}

int32_t LinuxProcess::sys_pwrite64(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], buffer = a.a[1], count = a.a[2];
    const int64_t offset = join64(a.a[3], a.a[4]);
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    uint32_t length = std::min(count, kMaxTransfer);
    if (!memory_.accessible(buffer, length, kRead)) return fail(EFAULT);
    if (offset < 0) return fail(EINVAL);
    if (int32_t error = admit_write(host, length, offset)) return error;
    return count_output(host, ::pwrite(host, memory_.host_base() + buffer, length, offset), length);
}

int32_t LinuxProcess::sys_ftruncate(const SyscallArgs& a) {
    const uint32_t fd = a.a[0];
    const int32_t length = int32_t(a.a[1]);
    return truncate_descriptor(fd, length);
}

int32_t LinuxProcess::sys_ftruncate64(const SyscallArgs& a) {
    const uint32_t fd = a.a[0];
    const int64_t length = join64(a.a[1], a.a[2]);
    return truncate_descriptor(fd, length);
}

int32_t LinuxProcess::truncate_descriptor(uint32_t fd, int64_t length) {
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    if (length < 0) return fail(EINVAL);
    if (int32_t error = admit_file_size(uint64_t(length))) return error;
    return ::ftruncate(host, length) == 0 ? 0 : fail(errno);
}

// sendfile (a 32-bit offset) and sendfile64: out fd, in fd, offset*, count.
int32_t LinuxProcess::send_file(const SyscallArgs& a, bool wide_offset) {
    const uint32_t out_fd = a.a[0], in_fd = a.a[1], offset_address = a.a[2], requested = a.a[3];
    int out = descriptors_.host(out_fd), in = descriptors_.host(in_fd);
    if (out < 0 || in < 0) return fail(EBADF);
    off_t offset = 0;
    if (offset_address) {
        int64_t guest_offset;
        if (wide_offset) {
            if (!memory_.read(offset_address, &guest_offset, sizeof guest_offset)) return fail(EFAULT);
        } else {
            int32_t narrow;
            if (!memory_.read(offset_address, &narrow, sizeof narrow)) return fail(EFAULT);
            guest_offset = narrow;
        }
        if (guest_offset < 0) return fail(EINVAL);
        offset = guest_offset;
    }
    uint32_t count = std::min(requested, kMaxTransfer);
    if (offset_address && !wide_offset) {  // as Linux: up to the largest 32-bit offset
        if (offset >= INT32_MAX) return fail(EOVERFLOW);
        count = uint32_t(std::min<int64_t>(count, INT32_MAX - offset));
    }
    // Admitted by its count, never by what the input holds now (another
    // process may grow it before the copy): no more than the tree may still
    // write, so that a copy from a growing file cannot pass the limit.
    if (options_.max_output) {
        uint64_t written = tree_->output_written().load();
        if (written < *options_.max_output) count = uint32_t(std::min<uint64_t>(count, *options_.max_output - written));
    }
    // A count is often far more than the input holds: the file-size limit
    // is left to the kernel (RLIMIT_FSIZE), which checks what is written.
    if (int32_t error = admit_write(out, count, -1, !host_file_size_)) return error;
    ssize_t n = blocking(SYS_sendfile, out, in, offset_address ? &offset : nullptr, count);
    count_output(out, n, count);
    if (n < 0) return fail(errno);
    if (offset_address) {
        int64_t moved = offset;
        int32_t narrow = int32_t(offset);
        if (!memory_.write(offset_address, wide_offset ? static_cast<const void*>(&moved) : &narrow,
                           wide_offset ? 8 : 4))
            return fail(EFAULT);
    }
    return int32_t(n);
}

int32_t LinuxProcess::sys_sendfile(const SyscallArgs& a) { return send_file(a, false); }
int32_t LinuxProcess::sys_sendfile64(const SyscallArgs& a) { return send_file(a, true); }

int32_t LinuxProcess::sys_fadvise64(const SyscallArgs& a) {  // advice only: nothing to do
    const uint32_t fd = a.a[0];
    return descriptors_.find(fd) ? 0 : fail(EBADF);
}

int32_t LinuxProcess::sys_fsync(const SyscallArgs& a) {  // and fdatasync
    const uint32_t fd = a.a[0];
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    return ::fdatasync(host) == 0 ? 0 : fail(errno);
}

int32_t LinuxProcess::sys_lseek(const SyscallArgs& a) {
    const uint32_t fd = a.a[0];
    const int32_t guest_offset = int32_t(a.a[1]);
    const int whence = int(a.a[2]);
    Descriptor* d = descriptors_.find(fd);
    if (!d) return fail(EBADF);
    int64_t offset = host_offset(*d, guest_offset, whence);
    if (offset < 0 && whence == SEEK_SET) return fail(EINVAL);
    off_t at = ::lseek(d->host, offset, whence);
    if (at < 0) return fail(errno);
    if (d->cookies) return offset == 0 ? 0 : guest_offset;
    return at > INT32_MAX ? fail(EOVERFLOW) : int32_t(at);
}

int32_t LinuxProcess::sys_llseek(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], result_address = a.a[3];
    const int64_t guest_offset = join64(a.a[2], a.a[1]);  // (high, then low)
    const int whence = int(a.a[4]);
    Descriptor* d = descriptors_.find(fd);
    if (!d) return fail(EBADF);
    if (!memory_.accessible(result_address, 8, kWrite)) return fail(EFAULT);
    int64_t offset = host_offset(*d, guest_offset, whence);
    if (offset < 0 && whence == SEEK_SET) return fail(EINVAL);
    off_t at = ::lseek(d->host, offset, whence);
    if (at < 0) return fail(errno);
    int64_t result = d->cookies ? (offset == 0 ? 0 : guest_offset) : int64_t(at);
    memory_.write(result_address, &result, sizeof result);
    return 0;
}

int32_t LinuxProcess::sys_ioctl(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], request = a.a[1], argument = a.a[2];
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    switch (request) {
    case kTcgets: {
        // The kernel's struct termios (the same for i386 and x86-64), not the
        // C library's larger one: the guest's buffer holds just this much.
        KernelTermios t;
        if (::ioctl(host, TCGETS, &t) != 0) return fail(errno);
        return memory_.write(argument, &t, sizeof t) ? 0 : fail(EFAULT);
    }
    case kTcsets: case kTcsetsw: case kTcsetsf: {
        KernelTermios t;
        if (!memory_.read(argument, &t, sizeof t)) return fail(EFAULT);
        return ::ioctl(host, request, &t) == 0 ? 0 : fail(errno);
    }
    case kTcflsh:
        if (argument > TCIOFLUSH) return fail(EINVAL);
        return ::ioctl(host, TCFLSH, int(argument)) == 0 ? 0 : fail(errno);
    case kTiocgwinsz: {
        winsize w;
        if (::ioctl(host, TIOCGWINSZ, &w) != 0) return fail(errno);
        return memory_.write(argument, &w, sizeof w) ? 0 : fail(EFAULT);
    }
    case kFionread: {
        int waiting = 0;
        if (::ioctl(host, FIONREAD, &waiting) != 0) return fail(errno);
        return memory_.write(argument, &waiting, sizeof waiting) ? 0 : fail(EFAULT);
    }
    default:
        return fail(ENOTTY);
    }
}

int32_t LinuxProcess::sys_fstat64(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], out = a.a[1];
    return stat_descriptor(fd, out);
}

int32_t LinuxProcess::stat_descriptor(uint32_t fd, uint32_t out) {
    const Descriptor* d = descriptors_.find(fd);
    if (!d) return fail(EBADF);
    const Place& place = d->place;
    struct stat st;
    if (place.synthetic()) st = files_.synthetic_stat(place);
    else if (::fstat(d->host, &st) != 0) return fail(errno);
    Stat64 s = to_stat64(st, place.synthetic());
    return memory_.write(out, &s, sizeof s) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::stat_path(uint32_t dirfd, uint32_t path_address, uint32_t out, bool follow) {
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    Entry found;
    if (int32_t error = lookup_at(dirfd, path, follow, found)) return error;
    struct stat st;
    if (found.place.synthetic()) st = files_.synthetic_stat(found.place);
    else if (::fstat(found.host, &st) != 0) return fail(errno);
    Stat64 s = to_stat64(st, found.place.synthetic());
    return memory_.write(out, &s, sizeof s) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_stat64(const SyscallArgs& a) {
    const uint32_t path = a.a[0], out = a.a[1];
    return stat_path(uint32_t(AT_FDCWD), path, out, true);
}

int32_t LinuxProcess::sys_lstat64(const SyscallArgs& a) {
    const uint32_t path = a.a[0], out = a.a[1];
    return stat_path(uint32_t(AT_FDCWD), path, out, false);
}

int32_t LinuxProcess::sys_fstatat64(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path = a.a[1], out = a.a[2], flags = a.a[3];
    if (flags & AT_EMPTY_PATH) return stat_descriptor(dirfd, out);
    return stat_path(dirfd, path, out, !(flags & AT_SYMLINK_NOFOLLOW));
}

int32_t LinuxProcess::sys_statx(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path_address = a.a[1], flags = a.a[2], mask = a.a[3], out = a.a[4];
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    Entry found;
    if (path.empty() && (flags & AT_EMPTY_PATH)) {
        const Descriptor* d = descriptors_.find(dirfd);
        if (!d) return fail(EBADF);
        found = Entry(d->place, d->host, false);
    } else if (int32_t error = lookup_at(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), found)) {
        return error;
    }
    static_assert(sizeof(struct statx) == kStatxSize);  // the same for every architecture
    struct statx sx{};
    if (found.place.synthetic()) {
        struct stat st = files_.synthetic_stat(found.place);
        sx.stx_mask = STATX_BASIC_STATS;
        sx.stx_blksize = uint32_t(st.st_blksize);
        sx.stx_nlink = uint32_t(st.st_nlink);
        sx.stx_mode = uint16_t(st.st_mode);
        sx.stx_ino = st.st_ino;
        sx.stx_size = uint64_t(st.st_size);
        sx.stx_atime.tv_sec = sx.stx_btime.tv_sec = sx.stx_ctime.tv_sec = sx.stx_mtime.tv_sec = st.st_mtim.tv_sec;
        sx.stx_dev_major = major(st.st_dev);
        sx.stx_dev_minor = minor(st.st_dev);
    } else {
        if (syscall(SYS_statx, found.host, "", AT_EMPTY_PATH, mask, &sx) != 0) return fail(errno);
        sx.stx_uid = guest_owner_uid(sx.stx_uid);
        sx.stx_gid = guest_owner_gid(sx.stx_gid);
    }
    return memory_.write(out, &sx, sizeof sx) ? 0 : fail(EFAULT);
}

// struct linux_dirent64 is the same for every architecture, but a 64-bit
// host hands out directory offsets (file-name hashes) that i386 glibc cannot
// hold. The guest gets small cookies instead; lseek maps them back.
int32_t LinuxProcess::sys_getdents64(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], buffer = a.a[1], count = a.a[2];
    Descriptor* d = descriptors_.find(fd);
    if (!d) return fail(EBADF);
    uint32_t length = std::min(count, kMaxTransfer);
    if (!memory_.accessible(buffer, length, kWrite)) return fail(EFAULT);
    if (d->place.synthetic()) return synthetic_dents(d->host, d->place, buffer, length);
    // Read into host memory and rewrite there: the guest's buffer may be
    // memory another guest process shares and changes meanwhile, and it need
    // not be aligned for dirent64.
    std::vector<uint8_t> entries(std::min(length, 1u << 16));
    long n = syscall(SYS_getdents64, d->host, entries.data(), entries.size());
    if (n < 0) return fail(errno);
    DirectoryCookies& cookies = d->cookies ? *d->cookies : d->cookies.emplace();
    for (long at = 0; at < n;) {
        auto* entry = reinterpret_cast<dirent64*>(entries.data() + at);
        entry->d_off = cookies.hand_out(entry->d_off);
        at += entry->d_reclen;
    }
    memory_.write(buffer, entries.data(), size_t(n));
    return int32_t(n);
}

// A synthetic directory's entries, from the one its host descriptor's offset
// (an empty directory's: any number lseek sets) counts; d_off is the next's.
int32_t LinuxProcess::synthetic_dents(int host, const Place& place, uint32_t address, uint32_t length) {
    off_t next = ::lseek(host, 0, SEEK_CUR);
    if (next < 0) return fail(errno);
    const std::vector<FileNamespace::DirEntry> entries = files_.synthetic_entries(place);
    std::vector<uint8_t> out;
    for (; size_t(next) < entries.size(); ++next) {
        const FileNamespace::DirEntry& e = entries[size_t(next)];
        const size_t reclen = (offsetof(dirent64, d_name) + e.name.size() + 1 + 7) & ~size_t(7);
        if (out.size() + reclen > length) break;
        dirent64 header{};
        header.d_ino = e.inode;
        header.d_off = next + 1;
        header.d_reclen = uint16_t(reclen);
        header.d_type = e.type;
        size_t at = out.size();
        out.resize(at + reclen);
        std::memcpy(out.data() + at, &header, offsetof(dirent64, d_name));
        std::memcpy(out.data() + at + offsetof(dirent64, d_name), e.name.c_str(), e.name.size() + 1);
    }
    if (out.empty() && size_t(next) < entries.size()) return fail(EINVAL);  // the buffer holds not one
    if (::lseek(host, next, SEEK_SET) < 0) return fail(errno);
    memory_.write(address, out.data(), out.size());
    return int32_t(out.size());
}

int64_t LinuxProcess::host_offset(Descriptor& d, int64_t guest_offset, int whence) {
    if (!d.cookies || whence != SEEK_SET) return guest_offset;
    return d.cookies->host_offset(guest_offset);
}

int32_t LinuxProcess::sys_dup(const SyscallArgs& a) {
    const uint32_t fd = a.a[0];
    return descriptors_.duplicate(fd, 0, false);
}

int32_t LinuxProcess::sys_dup2(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], target = a.a[1];
    return descriptors_.duplicate_onto(fd, target, false);
}

int32_t LinuxProcess::sys_dup3(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], target = a.a[1], flags = a.a[2];
    if (flags & ~uint32_t(O_CLOEXEC)) return fail(EINVAL);
    if (!descriptors_.find(fd) || target >= descriptors_.limit()) return fail(EBADF);
    if (fd == target) return fail(EINVAL);
    return descriptors_.duplicate_onto(fd, target, flags & O_CLOEXEC);
}

int32_t LinuxProcess::sys_fcntl64(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], command = a.a[1], argument = a.a[2];
    Descriptor* d = descriptors_.find(fd);
    if (!d) return fail(EBADF);
    const int host = d->host;
    switch (command) {
    case F_DUPFD: return descriptors_.duplicate(fd, argument, false);
    case F_DUPFD_CLOEXEC: return descriptors_.duplicate(fd, argument, true);
    case F_GETFD: return d->close_on_exec ? FD_CLOEXEC : 0;
    case F_SETFD: d->close_on_exec = argument & FD_CLOEXEC; return 0;
    case F_GETFL: return result_of(::fcntl(host, F_GETFL));
    case F_SETFL: return result_of(::fcntl(host, F_SETFL, int(argument & (O_APPEND | O_NONBLOCK))));
    case kGetLk: case kSetLk: case kSetLkw: return record_lock(host, command, argument, false);
    case kGetLk64: case kSetLk64: case kSetLkw64: case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
        return record_lock(host, command, argument, true);
    default: return fail(EINVAL);
    }
}

int32_t LinuxProcess::sys_fcntl(const SyscallArgs& a) {
    // The old fcntl takes the same commands; its F_*LK64 would be errors.
    const uint32_t command = a.a[1];
    if (command == kGetLk64 || command == kSetLk64 || command == kSetLkw64) return fail(EINVAL);
    return sys_fcntl64(a);
}

// POSIX record locks, in the i386 struct flock (32-bit offsets) or flock64.
int32_t LinuxProcess::record_lock(int host, uint32_t command, uint32_t address, bool wide) {
    struct flock lock{};
    if (wide) {
        Flock64 g;
        if (!memory_.read(address, &g, sizeof g)) return fail(EFAULT);
        lock = {g.type, g.whence, off_t(g.start), off_t(g.len), 0};
    } else {
        Flock32 g;
        if (!memory_.read(address, &g, sizeof g)) return fail(EFAULT);
        lock = {g.type, g.whence, g.start, g.len, 0};
    }
    int host_command = command == kGetLk || command == kGetLk64 ? F_GETLK
                     : command == kSetLk || command == kSetLk64 ? F_SETLK
                     : command == kSetLkw || command == kSetLkw64 ? F_SETLKW : int(command);  // OFD: the same numbers
    if (blocking(SYS_fcntl, host, host_command, &lock) != 0) return fail(errno);  // F_SETLKW waits
    if (host_command != F_GETLK && host_command != F_OFD_GETLK) return 0;
    // The holder's pid as the guest knows it; a holder outside the tree is no pid it may see.
    int32_t holder = lock.l_type == F_UNLCK ? 0 : tree_->guest_pid(lock.l_pid);
    if (wide) {
        Flock64 g{lock.l_type, lock.l_whence, lock.l_start, lock.l_len, holder};
        return memory_.write(address, &g, sizeof g) ? 0 : fail(EFAULT);
    }
    if (lock.l_start > INT32_MAX || lock.l_len > INT32_MAX) return fail(EOVERFLOW);
    Flock32 g{lock.l_type, lock.l_whence, int32_t(lock.l_start), int32_t(lock.l_len), holder};
    return memory_.write(address, &g, sizeof g) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_flock(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], operation = a.a[1];
    int host = descriptors_.host(fd);
    if (host < 0) return fail(EBADF);
    if (operation & ~uint32_t(LOCK_SH | LOCK_EX | LOCK_UN | LOCK_NB)) return fail(EINVAL);
    return blocking(SYS_flock, host, operation) == 0 ? 0 : fail(errno);
}

int32_t LinuxProcess::sys_pipe(const SyscallArgs& a) {
    const uint32_t ends = a.a[0];
    return make_pipe(ends, 0);
}

int32_t LinuxProcess::sys_pipe2(const SyscallArgs& a) {
    const uint32_t ends = a.a[0], flags = a.a[1];
    return make_pipe(ends, flags);
}

int32_t LinuxProcess::make_pipe(uint32_t ends_address, uint32_t flags) {
    if (flags & ~uint32_t(O_CLOEXEC | O_NONBLOCK)) return fail(EINVAL);
    if (!memory_.accessible(ends_address, 8, kWrite)) return fail(EFAULT);
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC | int(flags & O_NONBLOCK)) != 0) return fail(errno);
    const bool cloexec = flags & O_CLOEXEC;
    int32_t read_end = descriptors_.install(ends[0], 0, cloexec);
    if (read_end < 0) {
        ::close(ends[1]);
        return read_end;
    }
    int32_t write_end = descriptors_.install(ends[1], 0, cloexec);
    if (write_end < 0) {
        descriptors_.close(uint32_t(read_end));
        return write_end;
    }
    int32_t guest_ends[2] = {read_end, write_end};
    memory_.write(ends_address, guest_ends, sizeof guest_ends);
    return 0;
}

}  // namespace vx::os::linux_i386
