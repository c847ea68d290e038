// Calls on paths rather than descriptors: the working directory, creating,
// removing and renaming entries, permissions and times, symlinks. Each path
// is resolved in the file namespace (file_namespace.h), relative to a guest
// directory descriptor for the *at forms.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>  // RENAME_NOREPLACE, RENAME_EXCHANGE
#include <string>

#include "os/linux_i386/process.h"
#include "os/linux_i386/syscall_numbers.h"

namespace vx::os::linux_i386 {
namespace {

constexpr uint32_t kAtFdcwd = uint32_t(AT_FDCWD);

int32_t close_and_return(int fd, int32_t result) {
    ::close(fd);
    return result;
}

}  // namespace

int32_t LinuxProcess::lookup_parent_at(uint32_t dirfd, uint32_t path_address, Entry& parent, std::string& name,
                                       bool& dir_only) const {
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    return lookup_parent_at(dirfd, path, parent, name, dir_only);
}

int32_t LinuxProcess::lookup_parent_at(uint32_t dirfd, const std::string& path, Entry& parent, std::string& name,
                                       bool& dir_only) const {
    At at;
    if (int32_t error = origin(dirfd, path, at)) return error;
    return files_.lookup_parent(at, path, parent, name, dir_only);
}

int32_t LinuxProcess::sys_access(const SyscallArgs& a) {
    const uint32_t path = a.a[0], mode = a.a[1];
    return check_access(kAtFdcwd, path, mode, 0);
}

int32_t LinuxProcess::sys_faccessat(const SyscallArgs& a) {  // and faccessat2
    const uint32_t dirfd = a.a[0], path = a.a[1], mode = a.a[2], flags = a.a[3];
    return check_access(dirfd, path, mode, flags);
}

int32_t LinuxProcess::check_access(uint32_t dirfd, uint32_t path_address, uint32_t mode, uint32_t flags) {
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    if (mode & ~uint32_t(R_OK | W_OK | X_OK)) return fail(EINVAL);
    Entry found;
    if (int32_t error = lookup_at(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW), found)) return error;
    if (!found.place.synthetic() &&
        syscall(SYS_faccessat2, found.host, "", int(mode), AT_EMPTY_PATH | (flags & AT_EACCESS)) != 0)
        return fail(errno);
    // A read-only grant is a read-only file system; a synthetic directory too.
    if ((mode & W_OK) && !files_.writable(found.place)) return fail(EROFS);
    return 0;
}

int32_t LinuxProcess::sys_getcwd(const SyscallArgs& a) {
    const uint32_t buffer = a.a[0], size = a.a[1];
    const std::string& cwd = files_.cwd_path();
    if (size < cwd.size() + 1) return fail(ERANGE);
    return memory_.write(buffer, cwd.c_str(), cwd.size() + 1) ? int32_t(cwd.size() + 1) : fail(EFAULT);
}

int32_t LinuxProcess::sys_chdir(const SyscallArgs& a) {
    const uint32_t path_address = a.a[0];
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    if (path.empty()) return fail(ENOENT);
    return files_.chdir(files_.cwd(), path);
}

int32_t LinuxProcess::sys_fchdir(const SyscallArgs& a) {
    const uint32_t fd = a.a[0];
    const Descriptor* dir = descriptors_.find(fd);
    if (!dir) return fail(EBADF);
    if (!dir->place.in_namespace()) return fail(ENOTDIR);
    return files_.chdir({&dir->place, dir->host}, "");
}

int32_t LinuxProcess::sys_mkdir(const SyscallArgs& a) {
    const uint32_t path = a.a[0], mode = a.a[1];
    return make_directory(kAtFdcwd, path, mode);
}

int32_t LinuxProcess::sys_mkdirat(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path = a.a[1], mode = a.a[2];
    return make_directory(dirfd, path, mode);
}

int32_t LinuxProcess::make_directory(uint32_t dirfd, uint32_t path_address, uint32_t mode) {
    Entry parent;
    std::string name;
    bool dir_only;
    if (int32_t error = lookup_parent_at(dirfd, path_address, parent, name, dir_only)) return error;
    if (name == "." || name == ".." || name == "/") return fail(EEXIST);
    // Whatever exists already is EEXIST, mount points, synthetic directories
    // and names in read-only grants included (mkdir -p relies on it).
    if (int error = files_.check_entry_change(parent, name)) {
        struct stat st;
        if (error == -EBUSY || (error == -EROFS && !parent.place.synthetic() &&
                                fstatat(parent.host, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0))
            return fail(EEXIST);
        return error;
    }
    int r = ::mkdirat(parent.host, name.c_str(), mode_t(mode & 07777 & ~umask_));
    return r == 0 ? 0 : fail(errno);
}

int32_t LinuxProcess::sys_rmdir(const SyscallArgs& a) {
    const uint32_t path = a.a[0];
    return remove_entry(kAtFdcwd, path, AT_REMOVEDIR);
}

int32_t LinuxProcess::sys_unlink(const SyscallArgs& a) {
    const uint32_t path = a.a[0];
    return remove_entry(kAtFdcwd, path, 0);
}

int32_t LinuxProcess::sys_unlinkat(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path = a.a[1], flags = a.a[2];
    return remove_entry(dirfd, path, flags);
}

int32_t LinuxProcess::remove_entry(uint32_t dirfd, uint32_t path_address, uint32_t flags) {
    if (flags & ~uint32_t(AT_REMOVEDIR)) return fail(EINVAL);
    const bool directory = flags & AT_REMOVEDIR;
    Entry parent;
    std::string name;
    bool dir_only;
    if (int32_t error = lookup_parent_at(dirfd, path_address, parent, name, dir_only)) return error;
    if (name == "." || name == ".." || name == "/")
        return fail(!directory ? EISDIR : name == "." ? EINVAL : name == ".." ? ENOTEMPTY : EBUSY);
    if (int error = files_.check_entry_change(parent, name)) return error;
    int r = ::unlinkat(parent.host, (dir_only ? name + "/" : name).c_str(), int(flags));
    return r == 0 ? 0 : fail(errno);
}

int32_t LinuxProcess::sys_rename(const SyscallArgs& a) {
    const uint32_t old_path = a.a[0], new_path = a.a[1];
    return rename_entry(kAtFdcwd, old_path, kAtFdcwd, new_path, 0);
}

int32_t LinuxProcess::sys_renameat(const SyscallArgs& a) {
    const uint32_t old_dirfd = a.a[0], old_path = a.a[1], new_dirfd = a.a[2], new_path = a.a[3];
    return rename_entry(old_dirfd, old_path, new_dirfd, new_path, 0);
}

int32_t LinuxProcess::sys_renameat2(const SyscallArgs& a) {
    const uint32_t old_dirfd = a.a[0], old_path = a.a[1], new_dirfd = a.a[2], new_path = a.a[3], flags = a.a[4];
    return rename_entry(old_dirfd, old_path, new_dirfd, new_path, flags);
}

int32_t LinuxProcess::rename_entry(uint32_t old_dirfd, uint32_t old_path, uint32_t new_dirfd, uint32_t new_path,
                                   uint32_t flags) {
    if (flags & ~uint32_t(RENAME_NOREPLACE | RENAME_EXCHANGE)) return fail(EINVAL);
    Entry from, to;
    std::string from_name, to_name;
    bool from_dir, to_dir;
    if (int32_t error = lookup_parent_at(old_dirfd, old_path, from, from_name, from_dir)) return error;
    if (int32_t error = lookup_parent_at(new_dirfd, new_path, to, to_name, to_dir)) return error;
    for (const std::string* name : {&from_name, &to_name})
        if (*name == "." || *name == ".." || *name == "/") return fail(EBUSY);
    // Grants are mount points: nothing moves from one to another, and a
    // directory renamed within one stays that grant's.
    if (!from.place.synthetic() && !to.place.synthetic() && from.place.grant != to.place.grant) return fail(EXDEV);
    if (int error = files_.check_entry_change(from, from_name)) return error;
    if (int error = files_.check_entry_change(to, to_name)) return error;
    long r = syscall(SYS_renameat2, from.host, (from_dir ? from_name + "/" : from_name).c_str(), to.host,
                     (to_dir ? to_name + "/" : to_name).c_str(), flags);
    return r == 0 ? 0 : fail(errno);
}

int32_t LinuxProcess::sys_link(const SyscallArgs& a) {
    const uint32_t old_path = a.a[0], new_path = a.a[1];
    return link_entry(kAtFdcwd, old_path, kAtFdcwd, new_path, 0);
}

int32_t LinuxProcess::sys_linkat(const SyscallArgs& a) {
    const uint32_t old_dirfd = a.a[0], old_path = a.a[1], new_dirfd = a.a[2], new_path = a.a[3], flags = a.a[4];
    return link_entry(old_dirfd, old_path, new_dirfd, new_path, flags);
}

int32_t LinuxProcess::link_entry(uint32_t old_dirfd, uint32_t old_path_address, uint32_t new_dirfd,
                                 uint32_t new_path_address, uint32_t flags) {
    if (flags & ~uint32_t(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) return fail(EINVAL);
    std::string old_path;
    if (int32_t error = read_path(old_path_address, old_path)) return error;
    Entry source;         // the file itself (AT_EMPTY_PATH), or
    Entry source_parent;  // the directory that holds it, as `source_name`
    std::string source_name;
    int source_grant;
    if (old_path.empty() && (flags & AT_EMPTY_PATH)) {
        const Descriptor* d = descriptors_.find(old_dirfd);
        if (!d) return fail(EBADF);
        const Place& place = d->place;
        if (!place.in_namespace()) return fail(ENOENT);
        source = Entry(place, d->host, false);
        source_grant = place.grant;
    } else {
        bool dir_only;
        if (flags & AT_SYMLINK_FOLLOW) {  // what the link leads to, by its canonical path
            Entry target;
            if (int32_t error = lookup_at(old_dirfd, old_path, true, target)) return error;
            if (target.place.synthetic()) return fail(EPERM);
            old_path = target.place.path;
        }
        if (int32_t error = lookup_parent_at(old_dirfd, old_path, source_parent, source_name, dir_only)) return error;
        if (source_name == "." || source_name == ".." || source_name == "/" || dir_only) return fail(EPERM);
        source_grant = files_.entry_grant(source_parent, source_name);
    }
    if (source_grant == Place::kSynthetic) return fail(EPERM);  // a directory
    Entry to;
    std::string to_name;
    bool to_dir;
    if (int32_t error = lookup_parent_at(new_dirfd, new_path_address, to, to_name, to_dir)) return error;
    if (to_name == "." || to_name == ".." || to_name == "/" || to_dir) return fail(EEXIST);
    // As across mount points: a file of one grant never gets a name in another.
    if (!to.place.synthetic() && to.place.grant != source_grant) return fail(EXDEV);
    if (int error = files_.check_entry_change(to, to_name)) return error == -EBUSY ? fail(EEXIST) : error;
    int r = source.host >= 0 ? ::linkat(source.host, "", to.host, to_name.c_str(), AT_EMPTY_PATH)
                             : ::linkat(source_parent.host, source_name.c_str(), to.host, to_name.c_str(), 0);
    return r == 0 ? 0 : fail(errno);
}

int32_t LinuxProcess::sys_symlinkat(const SyscallArgs& a) {
    const uint32_t target = a.a[0], dirfd = a.a[1], path = a.a[2];
    return make_symlink(target, dirfd, path);
}

int32_t LinuxProcess::make_symlink(uint32_t target_address, uint32_t dirfd, uint32_t path_address) {
    std::string target, name;
    if (int32_t error = read_path(target_address, target)) return error;
    if (target.empty()) return fail(ENOENT);
    Entry parent;
    bool dir_only;
    if (int32_t error = lookup_parent_at(dirfd, path_address, parent, name, dir_only)) return error;
    if (name == "." || name == ".." || name == "/") return fail(EEXIST);
    if (int error = files_.check_entry_change(parent, name)) return error == -EBUSY ? fail(EEXIST) : error;
    // The link's text is the guest's; it is only ever resolved in the guest's namespace.
    int r = ::symlinkat(target.c_str(), parent.host, name.c_str());
    return r == 0 ? 0 : fail(errno);
}

int32_t LinuxProcess::sys_symlink(const SyscallArgs& a) {
    const uint32_t target = a.a[0], path = a.a[1];
    return make_symlink(target, kAtFdcwd, path);
}

int32_t LinuxProcess::sys_readlink(const SyscallArgs& a) {
    const uint32_t path = a.a[0], buffer = a.a[1], size = a.a[2];
    return read_link_at(kAtFdcwd, path, buffer, size);
}

int32_t LinuxProcess::sys_readlinkat(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path = a.a[1], buffer = a.a[2], size = a.a[3];
    return read_link_at(dirfd, path, buffer, size);
}

int32_t LinuxProcess::read_link_at(uint32_t dirfd, uint32_t path_address, uint32_t buffer_address, uint32_t size) {
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    if (int32_t(size) <= 0) return fail(EINVAL);
    std::string target;
    if (path == "/proc/self/exe") {
        target = options_.exe_path;
    } else {
        Entry found;
        if (int32_t error = lookup_at(dirfd, path, false, found)) return error;
        if (found.place.synthetic()) return fail(EINVAL);
        char buffer[PATH_MAX];
        ssize_t n = ::readlinkat(found.host, "", buffer, sizeof buffer);
        if (n < 0) return fail(errno == ENOENT ? EINVAL : errno);  // "" names no link: not one
        target.assign(buffer, size_t(n));
    }
    uint32_t length = std::min<uint32_t>(size, uint32_t(target.size()));
    return memory_.write(buffer_address, target.data(), length) ? int32_t(length) : fail(EFAULT);
}

int32_t LinuxProcess::sys_chmod(const SyscallArgs& a) {
    const uint32_t path = a.a[0], mode = a.a[1];
    return change_mode(kAtFdcwd, path, mode);
}

int32_t LinuxProcess::open_to_change(uint32_t dirfd, const std::string& path, bool follow) const {
    // Read-only, and non-blocking for a FIFO: only to name the file to change.
    Place place;
    int host = open_at(dirfd, path, O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW), 0, &place);
    if (host < 0) return host;
    if (int32_t error = check_changeable(place)) return close_and_return(host, error);
    return host;
}

// 0 when the guest may change the mode, times or owner of what lies at
// `place`: it is in a writable grant and is not one of the built-in devices,
// which belong to the host (-EPERM, as Linux tells a user about root's files).
int32_t LinuxProcess::check_changeable(const Place& place) const {
    if (!place.in_namespace() || files_.device(place)) return fail(EPERM);
    return files_.writable(place) ? 0 : fail(EROFS);
}

int32_t LinuxProcess::sys_fchmodat(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path = a.a[1], mode = a.a[2];
    return change_mode(dirfd, path, mode);
}

int32_t LinuxProcess::change_mode(uint32_t dirfd, uint32_t path_address, uint32_t mode) {
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    int host = open_to_change(dirfd, path, true);
    if (host < 0) return host;
    int r = ::fchmod(host, mode_t(mode & 07777));
    return close_and_return(host, r == 0 ? 0 : fail(errno));
}

// check_changeable for guest fd `fd`. Descriptors that came from the host
// (stdin, stdout, stderr) and pipes name nothing the guest owns.
int32_t LinuxProcess::check_changeable_fd(uint32_t fd) const {
    const Descriptor* d = descriptors_.find(fd);
    if (!d) return fail(EBADF);
    return check_changeable(d->place);
}

int32_t LinuxProcess::sys_fchmod(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], mode = a.a[1];
    if (int32_t error = check_changeable_fd(fd)) return error;
    return ::fchmod(descriptors_.host(fd), mode_t(mode & 07777)) == 0 ? 0 : fail(errno);
}

// The guest owns what it sees as owned by uid/gid 1000 and cannot give anything
// away: a change to 1000 (or -1, no change) is accepted and does nothing.
static bool owner_change_allowed(uint32_t uid, uint32_t gid) {
    return (uid == kGuestUid || uid == UINT32_MAX) && (gid == kGuestGid || gid == UINT32_MAX);
}

int32_t LinuxProcess::sys_fchownat(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path = a.a[1], uid = a.a[2], gid = a.a[3], flags = a.a[4];
    return change_owner(dirfd, path, uid, gid, flags);
}

int32_t LinuxProcess::sys_chown(const SyscallArgs& a) {  // chown32 and lchown32
    const uint32_t path = a.a[0], uid = a.a[1], gid = a.a[2];
    const uint32_t no_follow = a.nr == nr::lchown32 ? uint32_t(AT_SYMLINK_NOFOLLOW) : 0;
    return change_owner(kAtFdcwd, path, uid, gid, no_follow);
}

int32_t LinuxProcess::change_owner(uint32_t dirfd, uint32_t path_address, uint32_t uid, uint32_t gid,
                                   uint32_t flags) {
    if (flags & ~uint32_t(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return fail(EINVAL);
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    if (path.empty() && (flags & AT_EMPTY_PATH)) return change_descriptor_owner(dirfd, uid, gid);
    int host = open_to_change(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW));
    if (host < 0) return host;
    return close_and_return(host, owner_change_allowed(uid, gid) ? 0 : fail(EPERM));
}

int32_t LinuxProcess::sys_fchown(const SyscallArgs& a) {
    const uint32_t fd = a.a[0], uid = a.a[1], gid = a.a[2];
    return change_descriptor_owner(fd, uid, gid);
}

int32_t LinuxProcess::change_descriptor_owner(uint32_t fd, uint32_t uid, uint32_t gid) {
    if (int32_t error = check_changeable_fd(fd)) return error;
    return owner_change_allowed(uid, gid) ? 0 : fail(EPERM);
}

int32_t LinuxProcess::sys_umask(const SyscallArgs& a) {
    const uint32_t mask = a.a[0];
    uint32_t old = umask_;
    umask_ = mask & 0777;  // applied to what the guest creates; the host's own umask applies too
    return int32_t(old);
}

int32_t LinuxProcess::set_times(uint32_t dirfd, uint32_t path_address, const struct timespec* times, uint32_t flags) {
    if (flags & ~uint32_t(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) return fail(EINVAL);
    int host;
    if (path_address == 0) {  // futimens: the descriptor itself
        if (int32_t error = check_changeable_fd(dirfd)) return error;
        return ::futimens(descriptors_.host(dirfd), times) == 0 ? 0 : fail(errno);
    }
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    host = open_to_change(dirfd, path, !(flags & AT_SYMLINK_NOFOLLOW));
    if (host < 0) return host;
    int r = ::futimens(host, times);
    return close_and_return(host, r == 0 ? 0 : fail(errno));
}

int32_t LinuxProcess::sys_utimensat(const SyscallArgs& a) {  // the times with 32-bit seconds
    const uint32_t dirfd = a.a[0], path = a.a[1], times_address = a.a[2], flags = a.a[3];
    struct timespec times[2];
    if (times_address) {
        Timespec32 t[2];
        if (!memory_.read(times_address, t, sizeof t)) return fail(EFAULT);
        for (int i = 0; i < 2; ++i) times[i] = {t[i].sec, t[i].nsec};
    }
    return set_times(dirfd, path, times_address ? times : nullptr, flags);
}

int32_t LinuxProcess::sys_utimensat64(const SyscallArgs& a) {
    const uint32_t dirfd = a.a[0], path = a.a[1], times_address = a.a[2], flags = a.a[3];
    struct timespec times[2];
    if (times_address) {
        Timespec64 t[2];
        if (!memory_.read(times_address, t, sizeof t)) return fail(EFAULT);
        for (int i = 0; i < 2; ++i) times[i] = {time_t(t[i].sec), long(t[i].nsec)};
    }
    return set_times(dirfd, path, times_address ? times : nullptr, flags);
}

int32_t LinuxProcess::sys_truncate(const SyscallArgs& a) {
    const uint32_t path = a.a[0];
    const int32_t length = int32_t(a.a[1]);
    return truncate_path(path, length);
}

int32_t LinuxProcess::sys_truncate64(const SyscallArgs& a) {
    const uint32_t path = a.a[0];
    const int64_t length = join64(a.a[1], a.a[2]);
    return truncate_path(path, length);
}

int32_t LinuxProcess::truncate_path(uint32_t path_address, int64_t length) {
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    if (length < 0) return fail(EINVAL);
    int host = open_at(kAtFdcwd, path, O_WRONLY, 0);
    if (host < 0) return host;
    if (int32_t error = admit_file_size(uint64_t(length))) return close_and_return(host, error);
    int r = ::ftruncate(host, length);
    return close_and_return(host, r == 0 ? 0 : fail(errno));
}

}  // namespace vx::os::linux_i386
