#include "os/linux_i386/file_namespace.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vx/error.h"

namespace vx::os::linux_i386 {
namespace {

constexpr int kWriteFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;

int open_beneath(int dir, const std::string& path, int flags, int mode) {
    open_how how{};
    how.flags = uint64_t(flags) | O_CLOEXEC;
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? uint64_t(mode & 07777) : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    int fd = int(syscall(SYS_openat2, dir, path.empty() ? "." : path.c_str(), &how, sizeof how));
    if (fd >= 0) return fd;
    // Leaving the grant (a symlink or .. pointing out) looks like a missing file.
    return errno == EXDEV ? -ENOENT : -errno;
}

}  // namespace

FileNamespace::FileNamespace() {
    char path[] = "/tmp/vx-empty-XXXXXX";
    if (!mkdtemp(path)) throw Error(std::string("cannot create an empty directory: ") + std::strerror(errno));
    empty_dir_ = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int error = errno;
    if (empty_dir_ >= 0) fchmod(empty_dir_, 0555);
    rmdir(path);
    if (empty_dir_ < 0) throw Error(std::string("cannot open an empty directory: ") + std::strerror(error));
    // Devices every program may expect, harmless to share: they hold nothing.
    for (const char* device : {"/dev/null", "/dev/zero", "/dev/full"}) add({device, device, true});
    for (const char* device : {"/dev/random", "/dev/urandom"}) add({device, device, false});
    for (Grant& g : grants_) g.device = true;
}

FileNamespace::~FileNamespace() {
    for (const Grant& g : grants_) close(g.host_dir);
    close(empty_dir_);
}

bool FileNamespace::leads_to_grant(const std::string& guest) const {
    for (const Grant& g : grants_)
        if (guest == "/" || g.mount.guest_path.starts_with(guest + "/")) return true;
    return guest == "/";
}

std::string FileNamespace::normalize(const std::string& path) const {
    std::string full = path.starts_with("/") ? path : cwd_ + "/" + path;
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= full.size()) {
        size_t end = full.find('/', start);
        if (end == std::string::npos) end = full.size();
        std::string part = full.substr(start, end - start);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    std::string out;
    for (const std::string& p : parts) out += "/" + p;
    return out.empty() ? "/" : out;
}

void FileNamespace::add(const Mount& mount) {
    Grant g{mount, -1, {}};
    g.mount.guest_path = normalize(mount.guest_path);
    struct stat st;
    if (stat(mount.host_path.c_str(), &st) != 0)
        throw Error("--mount " + mount.host_path + ": " + std::strerror(errno));
    std::string dir = mount.host_path;
    if (!S_ISDIR(st.st_mode)) {
        size_t slash = dir.find_last_of('/');
        g.file_name = slash == std::string::npos ? dir : dir.substr(slash + 1);
        dir = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
    }
    g.host_dir = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (g.host_dir < 0) throw Error("--mount " + mount.host_path + ": " + std::strerror(errno));
    grants_.push_back(std::move(g));
}

std::vector<Mount> FileNamespace::mounts() const {
    std::vector<Mount> all;
    for (const Grant& g : grants_) all.push_back(g.mount);
    return all;
}

const FileNamespace::Grant* FileNamespace::find(const std::string& guest, std::string& below) const {
    const Grant* best = nullptr;
    for (const Grant& g : grants_) {
        const std::string& at = g.mount.guest_path;
        bool inside = guest == at || (at == "/" ? true : guest.starts_with(at + "/"));
        if (inside && (!best || at.size() > best->mount.guest_path.size())) best = &g;
    }
    if (!best) return nullptr;
    const std::string& at = best->mount.guest_path;
    below = guest.size() > at.size() ? guest.substr(at == "/" ? 1 : at.size() + 1) : "";
    return best;
}

int FileNamespace::open(const std::string& path, int flags, int mode) const {
    if (path.empty()) return -ENOENT;
    std::string below, guest = normalize(path);
    const Grant* grant = find(guest, below);
    if (!grant) {
        if (!leads_to_grant(guest)) return -ENOENT;
        if (flags & kWriteFlags) return -EROFS;
        int fd = fcntl(empty_dir_, F_DUPFD_CLOEXEC, 3);
        return fd >= 0 ? fd : -errno;
    }
    if ((flags & kWriteFlags) && !grant->mount.writable) return -EROFS;
    if (!grant->file_name.empty()) {  // a granted file has nothing below it
        if (!below.empty()) return -ENOTDIR;
        below = grant->file_name;
    }
    return open_beneath(grant->host_dir, below, flags, mode);
}

int FileNamespace::check_writable(const std::string& path) const {
    std::string below, guest = normalize(path);
    const Grant* grant = find(guest, below);
    if (!grant) return leads_to_grant(guest) ? -EROFS : -ENOENT;
    return grant->mount.writable ? 0 : -EROFS;
}

int FileNamespace::check_changeable(const std::string& path) const {
    std::string below;
    const Grant* grant = find(normalize(path), below);
    if (grant && grant->device) return -EPERM;
    return check_writable(path);
}

int FileNamespace::open_parent(const std::string& path, std::string& name) const {
    std::string guest = normalize(path);
    if (guest == "/") return -EBUSY;
    size_t slash = guest.find_last_of('/');
    name = guest.substr(slash + 1);
    std::string below;
    const Grant* grant = find(guest, below);
    if (!grant || below.empty() || !grant->file_name.empty()) return grant ? -EBUSY : -ENOENT;
    if (!grant->mount.writable) return -EROFS;
    size_t parent_end = below.find_last_of('/');
    return open_beneath(grant->host_dir, parent_end == std::string::npos ? "" : below.substr(0, parent_end),
                        O_PATH | O_DIRECTORY, 0);
}

int FileNamespace::chdir(const std::string& path) {
    std::string target = normalize(path);
    int fd = open(target, O_RDONLY | O_DIRECTORY, 0);
    if (fd < 0) return fd;
    close(fd);
    cwd_ = target;
    return 0;
}

Mount parse_mount(const std::string& spec) {
    Mount m;
    size_t first = spec.find(':');
    if (first == std::string::npos || first == 0) throw Error("--mount wants HOST:GUEST[:ro|rw], got " + spec);
    m.host_path = spec.substr(0, first);
    std::string rest = spec.substr(first + 1);
    size_t second = rest.find(':');
    m.guest_path = rest.substr(0, second);
    if (second != std::string::npos) {
        std::string mode = rest.substr(second + 1);
        if (mode != "ro" && mode != "rw") throw Error("--mount mode must be ro or rw, got " + mode);
        m.writable = mode == "rw";
    }
    if (!m.guest_path.starts_with("/")) throw Error("--mount guest path must be absolute: " + m.guest_path);
    return m;
}

}  // namespace vx::os::linux_i386
