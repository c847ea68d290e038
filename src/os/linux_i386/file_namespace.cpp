#include "os/linux_i386/file_namespace.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <map>

#include "vx/error.h"

namespace vx::os::linux_i386 {
namespace {

// fstat of a descriptor just opened: 0, or -errno with the descriptor closed.
int stat_or_close(int fd, struct stat& st) {
    if (fstat(fd, &st) == 0) return 0;
    int error = errno;
    close(fd);
    return -error;
}

constexpr int kMaxLinks = 40;  // symlinks in one resolution, as Linux (ELOOP beyond)
// The directories a resolution keeps open for `..`: a deeper one walks again
// from the root when `..` climbs past them (host descriptors are few).
constexpr size_t kHeldDirectories = 32;
constexpr int kWriteFlags = O_WRONLY | O_RDWR | O_TRUNC | O_APPEND;
constexpr int kPathFlags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;  // all O_PATH keeps
const dev_t kSyntheticDevice = makedev(0, 0x7f);

// One name below `dir`, as the kernel opens it without following anything:
// no symlink (ELOOP), no `..`, no other mount (looks missing).
int open_below(int dir, const std::string& name, int flags, int mode) {
    open_how how{};
    if (flags & O_PATH) flags &= kPathFlags;
    how.flags = uint64_t(flags) | O_CLOEXEC;
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? uint64_t(mode & 07777) : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    int fd = int(syscall(SYS_openat2, dir, name.c_str(), &how, sizeof how));
    if (fd >= 0) return fd;
    return errno == EXDEV ? -ENOENT : -errno;
}

int read_link(int dir, const std::string& name, std::string& target) {
    char buffer[PATH_MAX];
    ssize_t n = ::readlinkat(dir, name.c_str(), buffer, sizeof buffer);
    if (n < 0) return -errno;
    target.assign(buffer, size_t(n));
    return 0;
}

std::string child_path(const std::string& dir, const std::string& name) {
    return dir == "/" ? "/" + name : dir + "/" + name;
}

std::string parent_path(const std::string& path) {
    size_t slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// Pushes the components of `path` onto `pending` (the next one last), with a
// final "." when `path` ends in a slash: what precedes it must then be a
// directory, and a symlink there is followed.
void push_components(std::vector<std::string>& pending, const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start < path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string::npos) end = path.size();
        if (end > start) parts.push_back(path.substr(start, end - start));
        start = end + 1;
    }
    if (!parts.empty() && path.back() == '/') parts.push_back(".");
    pending.insert(pending.end(), parts.rbegin(), parts.rend());
}

// A synthetic directory's entry: it has no host descriptor.
Entry synthetic_entry(std::string path) { return Entry(Place{std::move(path), Place::kSynthetic}, -1, false); }

std::string lexical_normal(const std::string& full) {
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

}  // namespace

struct FileNamespace::Request {
    int flags;    // open(2) flags; O_PATH for a lookup
    int mode;
    bool follow;  // a symlink as the last component is followed
};

Entry& Entry::operator=(Entry&& other) noexcept {
    if (this != &other) {
        if (owned && host >= 0) ::close(host);
        place = std::move(other.place);
        host = other.host;
        owned = other.owned;
        other.host = -1;
        other.owned = false;
    }
    return *this;
}

Entry::~Entry() {
    if (owned && host >= 0) ::close(host);
}

FileNamespace::FileNamespace() {
    char path[] = "/tmp/vx-empty-XXXXXX";
    if (!mkdtemp(path)) throw Error(std::string("cannot create an empty directory: ") + std::strerror(errno));
    empty_dir_ = ::open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int error = errno;
    if (empty_dir_ >= 0) fchmod(empty_dir_, 0555);
    rmdir(path);
    if (empty_dir_ < 0) throw Error(std::string("cannot open an empty directory: ") + std::strerror(error));
    created_ = int64_t(time(nullptr));
    synthetic_ = {"/"};
    cwd_ = Entry(Place{"/", Place::kSynthetic}, -1, false);
    // Devices every program may expect, harmless to share: they hold nothing.
    for (const char* device : {"/dev/null", "/dev/zero", "/dev/full"}) add({device, device, true});
    for (const char* device : {"/dev/random", "/dev/urandom"}) add({device, device, false});
    for (Grant& g : grants_) g.device = true;
}

FileNamespace::~FileNamespace() {
    for (const Grant& g : grants_) close(g.host_dir);
    close(empty_dir_);
}

std::string FileNamespace::normalize(const std::string& path) const {
    return lexical_normal(path.starts_with("/") ? path : cwd_.place.path + "/" + path);
}

namespace {

std::string describe_refusal(SetupRefused::Reason reason, const Mount& mount, const std::string& taken_path,
                             const std::optional<Mount>& other, int error) {
    const std::string grant = "the grant of " + mount.host_path + " at " + mount.guest_path;
    switch (reason) {
    case SetupRefused::Reason::HostPathUnusable:
        return grant + ": " + mount.host_path + ": " + std::strerror(error);
    case SetupRefused::Reason::GuestPathTaken:
        return grant + ": " + taken_path + " is given to the guest already" +
               (other ? " (by the grant of " + other->host_path + ")" : " (a device every guest has)");
    case SetupRefused::Reason::TmpTaken:
        return "the private /tmp and " + grant + " both give the guest /tmp";
    case SetupRefused::Reason::CwdUnusable:
        return "working directory " + taken_path + ": not a directory inside a grant (" + std::strerror(error) + ")";
    }
    return "refused";
}

}  // namespace

SetupRefused::SetupRefused(Reason reason, Mount mount, std::string taken_path, std::optional<Mount> other, int error)
    : Error(describe_refusal(reason, mount, taken_path, other, error)), reason(reason), mount(std::move(mount)),
      taken_path(std::move(taken_path)), other(std::move(other)), error(error) {}

void FileNamespace::add(const Mount& mount) {
    Grant g;
    g.mount = mount;
    g.mount.guest_path = lexical_normal(mount.guest_path);
    // A second grant at one place would hide the first: refused, whichever it is.
    for (const Grant& other : grants_)
        if (other.mount.guest_path == g.mount.guest_path)
            throw SetupRefused(SetupRefused::Reason::GuestPathTaken, mount, g.mount.guest_path,
                               other.device ? std::nullopt : std::optional<Mount>(other.mount));
    struct stat st;
    if (stat(mount.host_path.c_str(), &st) != 0)
        throw SetupRefused(SetupRefused::Reason::HostPathUnusable, mount, {}, {}, errno);
    g.dev = st.st_dev;
    g.ino = st.st_ino;
    g.type = st.st_mode & S_IFMT;
    std::string dir = mount.host_path;
    if (!S_ISDIR(st.st_mode)) {
        size_t slash = dir.find_last_of('/');
        g.file_name = slash == std::string::npos ? dir : dir.substr(slash + 1);
        dir = slash == std::string::npos ? "." : slash == 0 ? "/" : dir.substr(0, slash);
    }
    g.host_dir = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (g.host_dir < 0) throw SetupRefused(SetupRefused::Reason::HostPathUnusable, mount, {}, {}, errno);
    struct statx sx{};
    if (statx(AT_FDCWD, mount.host_path.c_str(), 0, STATX_MNT_ID, &sx) == 0 && (sx.stx_mask & STATX_MNT_ID))
        g.mount_id = sx.stx_mnt_id;
    grants_.push_back(std::move(g));

    // The same file system seen through another mount (a bind mount) has the
    // same device; one mount may hold several devices (btrfs subvolumes). A
    // mount id unknown (0) may be any: such a grant is always checked.
    for (Grant& a : grants_) {
        a.shares_mount = false;
        for (const Grant& b : grants_)
            if (&a != &b && (a.dev == b.dev || a.mount_id == 0 || b.mount_id == 0 || a.mount_id == b.mount_id))
                a.shares_mount = true;
    }
    for (std::string at = grants_.back().mount.guest_path; at != "/";) {
        at = parent_path(at);
        synthetic_.push_back(at);
    }
    std::sort(synthetic_.begin(), synthetic_.end());
    synthetic_.erase(std::unique(synthetic_.begin(), synthetic_.end()), synthetic_.end());
}

std::vector<Mount> FileNamespace::mounts() const {
    std::vector<Mount> all;
    for (const Grant& g : grants_) all.push_back(g.mount);
    return all;
}

const FileNamespace::Grant* FileNamespace::mount_point(const std::string& guest, int* index) const {
    for (size_t i = grants_.size(); i-- > 0;) {
        if (grants_[i].mount.guest_path != guest) continue;
        if (index) *index = int(i);
        return &grants_[i];
    }
    return nullptr;
}

bool FileNamespace::leads_to_grant(const std::string& guest) const {
    return std::binary_search(synthetic_.begin(), synthetic_.end(), guest);
}

Entry FileNamespace::root_entry() const {
    int index;
    const Grant* g = mount_point("/", &index);
    if (g && g->file_name.empty()) return Entry(Place{"/", index}, g->host_dir, false);
    return Entry(Place{"/", Place::kSynthetic}, -1, false);
}

int FileNamespace::grant_of(const struct stat& st, int grant) const {
    // Only a read-only grant is entered so: what matters is that its files
    // stay read-only whatever path reaches them. Within writable grants,
    // renames and links work as in the grant the path went through.
    for (size_t i = 0; i < grants_.size(); ++i) {
        const Grant& other = grants_[i];
        if (int(i) != grant && !other.mount.writable && other.dev == st.st_dev && other.ino == st.st_ino) return int(i);
    }
    return grant;
}

bool FileNamespace::writable(const Place& place) const {
    return place.in_namespace() && place.grant >= 0 && grants_[size_t(place.grant)].mount.writable;
}

bool FileNamespace::device(const Place& place) const {
    return place.grant >= 0 && grants_[size_t(place.grant)].device;
}

int FileNamespace::resolve(At at, const std::string& path, const Request& request, Entry& out) const {
    if (path.empty()) return -ENOENT;
    std::vector<Entry> stack;
    if (path[0] == '/') stack.push_back(root_entry());
    else stack.emplace_back(*at.place, at.host, false);
    std::vector<std::string> pending;
    push_components(pending, path);
    int links = 0;
    for (;;) {
        if (int error = walk(stack, pending, 1, links)) return error;
        if (pending.empty()) return open_current(stack.back(), request, out);
        std::string name = std::move(pending.back());
        pending.pop_back();
        if (name == "." || name == "..") {
            if (name == "..")
                if (int error = up(stack)) return error;
            return open_current(stack.back(), request, out);
        }
        int r = open_last(stack, name, request, pending, links, out);
        if (r <= 0) return r;
    }
}

int FileNamespace::walk(std::vector<Entry>& stack, std::vector<std::string>& pending, size_t keep,
                        int& links) const {
    while (pending.size() > keep) {
        std::string name = std::move(pending.back());
        pending.pop_back();
        if (int error = step(stack, name, pending, links)) return error;
    }
    return 0;
}

int FileNamespace::step(std::vector<Entry>& stack, const std::string& name, std::vector<std::string>& pending,
                        int& links) const {
    if (name == ".") return 0;
    if (name == "..") return up(stack);
    const Place& current = stack.back().place;
    std::string child = child_path(current.path, name);
    int index;
    if (const Grant* g = mount_point(child, &index)) {
        if (!g->file_name.empty()) return -ENOTDIR;
        stack.emplace_back(Place{std::move(child), index}, g->host_dir, false);
        return 0;
    }
    if (current.synthetic()) {
        if (!leads_to_grant(child)) return -ENOENT;
        stack.push_back(synthetic_entry(std::move(child)));
        return 0;
    }
    int grant = current.grant;
    int fd = open_below(stack.back().host, name, O_PATH | O_DIRECTORY, 0);
    if (fd == -ELOOP) return follow_link(stack, name, pending, links);
    if ((fd == -ENOENT || fd == -ENOTDIR) && leads_to_grant(child)) {
        stack.push_back(synthetic_entry(std::move(child)));
        return 0;
    }
    if (fd < 0) return fd;
    if (needs_identity_check(grant)) {
        struct stat st;
        if (int error = stat_or_close(fd, st)) return error;
        grant = grant_of(st, grant);
    }
    stack.emplace_back(Place{std::move(child), grant}, fd, true);
    if (stack.size() > kHeldDirectories) stack.erase(stack.begin());
    return 0;
}

int FileNamespace::up(std::vector<Entry>& stack) const {
    const std::string& path = stack.back().place.path;
    if (path == "/") return 0;
    const std::string parent = parent_path(path);
    if (stack.size() > 1 && stack[stack.size() - 2].place.path == parent) {
        stack.pop_back();
        return 0;
    }
    // Above where the resolution started (or what it still holds): the
    // parent's canonical path, walked again from the root (so never above /,
    // nor out of the namespace). A file's descriptor has no `..`.
    struct stat st;
    if (stack.back().host >= 0 && (fstat(stack.back().host, &st) != 0 || !S_ISDIR(st.st_mode))) return -ENOTDIR;
    std::vector<Entry> fresh;
    fresh.push_back(root_entry());
    std::vector<std::string> pending;
    push_components(pending, parent);
    int links = 0;
    if (int error = walk(fresh, pending, 0, links)) return error;
    stack = std::move(fresh);
    return 0;
}

int FileNamespace::follow_link(std::vector<Entry>& stack, const std::string& name,
                               std::vector<std::string>& pending, int& links) const {
    if (++links > kMaxLinks) return -ELOOP;
    std::string target;
    if (int error = read_link(stack.back().host, name, target)) {
        if (error != -EINVAL) return error;
        pending.push_back(name);  // no longer a symlink: replaced meanwhile; look again
        return 0;
    }
    if (target.empty()) return -ENOENT;
    if (target[0] == '/') {
        stack.clear();
        stack.push_back(root_entry());
    }
    push_components(pending, target);
    return 0;
}

int FileNamespace::open_current(const Entry& current, const Request& request, Entry& out) const {
    if ((request.flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) return -EEXIST;
    if (request.flags & O_CREAT) return -EISDIR;
    if (current.place.synthetic()) {
        if (request.flags & kWriteFlags) return -EISDIR;
        out = Entry(current.place, -1, false);
        return 0;
    }
    if ((request.flags & kWriteFlags) && !writable(current.place)) return -EROFS;
    int fd = open_below(current.host, ".", request.flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW), 0);
    if (fd < 0) return fd;
    out = Entry(current.place, fd, true);
    return 0;
}

int FileNamespace::open_last(std::vector<Entry>& stack, const std::string& name, const Request& request,
                             std::vector<std::string>& pending, int& links, Entry& out) const {
    const Entry& current = stack.back();
    std::string child = child_path(current.place.path, name);
    const bool writes = request.flags & kWriteFlags;
    const bool creates = request.flags & O_CREAT;
    const bool exclusive = creates && (request.flags & O_EXCL);
    int index;
    if (const Grant* g = mount_point(child, &index)) {
        if (exclusive) return -EEXIST;
        if (writes && !g->mount.writable) return -EROFS;
        int flags = request.flags & ~(O_CREAT | O_EXCL | O_NOFOLLOW);
        int fd;
        if (g->file_name.empty()) {
            fd = open_below(g->host_dir, ".", flags, 0);
        } else {  // the granted file, as the host names it
            open_how how{};
            how.flags = uint64_t((flags & O_PATH) ? flags & kPathFlags : flags) | O_CLOEXEC;
            how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
            fd = int(syscall(SYS_openat2, g->host_dir, g->file_name.c_str(), &how, sizeof how));
            if (fd < 0) fd = errno == EXDEV ? -ENOENT : -errno;
        }
        if (fd < 0) return fd;
        out = Entry(Place{std::move(child), index}, fd, true);
        return 0;
    }
    if (current.place.synthetic()) {
        if (!leads_to_grant(child)) return -ENOENT;  // nothing else is there, nor can be
        return open_current(synthetic_entry(std::move(child)), request, out);
    }

    const int grant = current.place.grant;
    const bool grant_writable = grants_[size_t(grant)].mount.writable;
    const bool checked = needs_identity_check(grant);
    const int nofollow = request.follow ? 0 : O_NOFOLLOW;
    if ((!checked && grant_writable) || !(writes || creates)) {
        // Nothing to find out before opening: it changes nothing.
        int fd = open_below(current.host, name, request.flags | nofollow, request.mode);
        if (fd == -ELOOP && request.follow) {
            int error = follow_link(stack, name, pending, links);
            return error ? error : 1;
        }
        if ((fd == -ENOENT || fd == -ENOTDIR) && leads_to_grant(child))
            return open_current(synthetic_entry(std::move(child)), request, out);
        if (fd < 0) return fd;
        int owner = grant;
        if (checked) {
            struct stat st;
            if (int error = stat_or_close(fd, st)) return error;
            owner = grant_of(st, grant);
        }
        out = Entry(Place{std::move(child), owner}, fd, true);
        return 0;
    }

    // Find out first what is there and whose it is; then open that.
    int probe = open_below(current.host, name, O_PATH | (request.flags & O_DIRECTORY) | nofollow, 0);
    if (probe == -ELOOP && request.follow) {
        int error = follow_link(stack, name, pending, links);
        return error ? error : 1;
    }
    if (probe == -ENOENT) {
        if (leads_to_grant(child))
            return open_current(synthetic_entry(std::move(child)), request, out);
        if (!creates) return -ENOENT;
        if (!grant_writable) return -EROFS;
        // Something new is this grant's, whatever the other grants hold.
        int fd = open_below(current.host, name, request.flags | O_EXCL | O_NOFOLLOW, request.mode);
        if (fd == -EEXIST && !exclusive) {  // made meanwhile: look again
            if (++links > kMaxLinks) return -ELOOP;
            pending.push_back(name);
            return 1;
        }
        if (fd < 0) return fd;
        out = Entry(Place{std::move(child), grant}, fd, true);
        return 0;
    }
    if (probe < 0) return probe;
    struct stat found;
    if (exclusive || fstat(probe, &found) != 0) {
        int error = exclusive ? EEXIST : errno;
        close(probe);
        return -error;
    }
    const int owner = checked ? grant_of(found, grant) : grant;
    if (writes && !grants_[size_t(owner)].mount.writable) {
        close(probe);
        return -EROFS;
    }
    if (request.flags & O_PATH) {
        out = Entry(Place{std::move(child), owner}, probe, true);
        return 0;
    }
    close(probe);
    // O_TRUNC waits until the file opened is known to be the one probed.
    int fd = open_below(current.host, name, (request.flags & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_NOFOLLOW, 0);
    if (fd < 0) return fd;
    struct stat opened;
    if (fstat(fd, &opened) != 0 || opened.st_dev != found.st_dev || opened.st_ino != found.st_ino) {
        close(fd);
        if (++links > kMaxLinks) return -ELOOP;
        pending.push_back(name);  // replaced meanwhile: look again
        return 1;
    }
    if ((request.flags & O_TRUNC) && S_ISREG(opened.st_mode) && ftruncate(fd, 0) != 0) {
        int error = errno;
        close(fd);
        return -error;
    }
    out = Entry(Place{std::move(child), owner}, fd, true);
    return 0;
}

int FileNamespace::open(At at, const std::string& path, int flags, int mode, Place& opened) const {
    if (flags & O_PATH) flags &= kPathFlags;  // as open(2): O_PATH ignores the rest
    if ((flags & O_CREAT) && path.ends_with("/")) return -EISDIR;
    const bool exclusive = (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL);
    Entry found;
    if (int error = resolve(at, path, {flags, mode, !(flags & O_NOFOLLOW) && !exclusive}, found)) return error;
    int fd = found.host;
    if (found.place.synthetic()) {  // its own open file, for its own offset in the listing
        fd = ::openat(empty_dir_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return -errno;
    } else if (!found.owned) {
        fd = fcntl(found.host, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) return -errno;
    } else {
        found.owned = false;  // now the caller's
    }
    opened = found.place;
    return fd;
}

int FileNamespace::lookup(At at, const std::string& path, bool follow, Entry& found) const {
    return resolve(at, path, {O_PATH | (follow ? 0 : O_NOFOLLOW), 0, follow}, found);
}

int FileNamespace::lookup_parent(At at, const std::string& path, Entry& parent, std::string& name,
                                 bool& dir_only) const {
    if (path.empty()) return -ENOENT;
    size_t end = path.find_last_not_of('/');
    dir_only = end != std::string::npos && end + 1 < path.size();
    std::vector<Entry> stack;
    if (path[0] == '/') stack.push_back(root_entry());
    else stack.emplace_back(*at.place, at.host, false);
    std::vector<std::string> pending;
    push_components(pending, end == std::string::npos ? "" : path.substr(0, end + 1));
    int links = 0;
    if (int error = walk(stack, pending, 1, links)) return error;
    name = pending.empty() ? "/" : pending.back();
    Entry& last = stack.back();
    if (last.owned) {
        parent = std::move(last);
    } else {
        parent = Entry(last.place, last.host, false);  // a grant's own descriptor: lives as long as the namespace
    }
    return 0;
}

int FileNamespace::check_entry_change(const Entry& parent, const std::string& name) const {
    if (name == "." || name == ".." || name == "/") return -EBUSY;
    std::string child = child_path(parent.place.path, name);
    if (mount_point(child)) return -EBUSY;
    if (parent.place.synthetic()) return leads_to_grant(child) ? -EBUSY : -ENOENT;
    struct stat st;
    const int grant = parent.place.grant;
    const bool present = (leads_to_grant(child) || needs_identity_check(grant)) &&
                         fstatat(parent.host, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (leads_to_grant(child) && !present) return -EBUSY;  // the synthetic directory that stands in for it
    if (!grants_[size_t(grant)].mount.writable) return -EROFS;
    if (present && needs_identity_check(grant) && grant_of(st, grant) != grant) return -EBUSY;
    return 0;
}

int FileNamespace::entry_grant(const Entry& parent, const std::string& name) const {
    int index;
    if (name != "." && name != ".." && mount_point(child_path(parent.place.path, name), &index)) return index;
    const int grant = parent.place.grant;
    struct stat st;
    if (parent.place.synthetic() || !needs_identity_check(grant) ||
        fstatat(parent.host, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return grant;
    return grant_of(st, grant);
}

int FileNamespace::chdir(At at, const std::string& path) {
    Entry target;
    if (path.empty()) {  // fchdir
        if (at.place->synthetic()) {
            target = Entry(*at.place, -1, false);
        } else {
            int fd = open_below(at.host, ".", O_PATH | O_DIRECTORY, 0);
            if (fd < 0) return fd;
            target = Entry(*at.place, fd, true);
        }
    } else if (int error = lookup(at, path + "/", true, target)) {
        return error;
    }
    cwd_ = std::move(target);
    return 0;
}

uint64_t FileNamespace::synthetic_inode(const std::string& guest) const {
    auto it = std::lower_bound(synthetic_.begin(), synthetic_.end(), guest);
    return uint64_t(it - synthetic_.begin()) + 1;
}

struct stat FileNamespace::synthetic_stat(const Place& place) const {
    struct stat st{};
    st.st_dev = kSyntheticDevice;
    st.st_ino = synthetic_inode(place.path);
    st.st_mode = S_IFDIR | 0555;
    st.st_nlink = 2;
    for (const DirEntry& e : synthetic_entries(place))
        if (e.type == DT_DIR && e.name != "." && e.name != "..") ++st.st_nlink;
    st.st_uid = 0;
    st.st_gid = 0;
    st.st_size = 4096;
    st.st_blksize = 4096;
    st.st_atim.tv_sec = st.st_mtim.tv_sec = st.st_ctim.tv_sec = created_;
    return st;
}

std::vector<FileNamespace::DirEntry> FileNamespace::synthetic_entries(const Place& place) const {
    auto inode_of = [&](const std::string& guest) {
        const Grant* g = mount_point(guest);
        return g ? uint64_t(g->ino) : synthetic_inode(guest);
    };
    std::vector<DirEntry> out{{".", inode_of(place.path), DT_DIR},
                              {"..", inode_of(parent_path(place.path)), DT_DIR}};
    std::map<std::string, DirEntry> children;
    auto consider = [&](const std::string& guest) {
        if (guest == "/" || parent_path(guest) != place.path) return;
        std::string name = guest.substr(guest.find_last_of('/') + 1);
        const Grant* g = mount_point(guest);
        unsigned char type = !g || g->type == S_IFDIR ? DT_DIR
                             : g->type == S_IFCHR        ? DT_CHR
                             : g->type == S_IFREG        ? DT_REG
                                                         : DT_UNKNOWN;
        children[name] = {name, inode_of(guest), type};
    };
    for (const std::string& s : synthetic_) consider(s);
    for (const Grant& g : grants_) consider(g.mount.guest_path);
    for (auto& [name, entry] : children) out.push_back(std::move(entry));
    return out;
}

}  // namespace vx::os::linux_i386
