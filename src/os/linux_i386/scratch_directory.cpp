#include "os/linux_i386/scratch_directory.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "vx/error.h"

namespace vx::os::linux_i386 {
namespace {

// Only what a forked child of a threaded host may call, and only the host
// calls the host filter allows (the owner removes the directory under it).

struct DirectoryListing {
    alignas(8) char buffer[8192];
};

bool is_dot_or_dotdot(const char* name) {
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

// Calls visit(name, type) for each entry of `dir` from its start, until visit
// returns false; false if the listing failed.
template <typename Visit>
bool for_each_entry(int dir, DirectoryListing& listing, Visit visit) {
    if (lseek(dir, 0, SEEK_SET) < 0) return false;
    for (;;) {
        long n = syscall(SYS_getdents64, dir, listing.buffer, sizeof listing.buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return false;
        if (n == 0) return true;
        for (long at = 0; at < n;) {
            auto* entry = reinterpret_cast<dirent64*>(listing.buffer + at);
            at += entry->d_reclen;
            if (!is_dot_or_dotdot(entry->d_name) && !visit(entry->d_name, entry->d_type)) return true;
        }
    }
}

// Writes n's digits at `out` and a terminating NUL (room for 21 characters),
// without printf.
void write_number(uint64_t n, char* out) {
    char digits[20];
    int count = 0;
    do digits[count++] = char('0' + n % 10), n /= 10;
    while (n);
    for (int i = 0; i < count; ++i) out[i] = digits[count - 1 - i];
    out[count] = '\0';
}

// Opens the real directory `name` in `dir` (never a symlink to one) for
// listing; if its modes forbid that, gives its owner (us) all rights on it
// first. -1 if it is not a directory, or cannot be opened.
int open_subdirectory(int dir, const char* name) {
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int sub = openat(dir, name, kFlags);
    if (sub >= 0 || errno != EACCES) return sub;
    // The descriptor pins the inode: the mode change through /proc reaches
    // this directory, whatever is renamed meanwhile, and never a symlink's target.
    int pinned = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (pinned < 0) return -1;
    struct stat st;
    char proc_path[40] = "/proc/self/fd/";
    write_number(uint64_t(pinned), proc_path + std::strlen(proc_path));
    if (fstat(pinned, &st) == 0 && S_ISDIR(st.st_mode)) fchmodat(AT_FDCWD, proc_path, 0700, 0);
    close(pinned);
    return openat(dir, name, kFlags);
}

// Moves every entry of `sub` up into `top` under a fresh name; true if one moved.
bool hoist_entries(int sub, int top, uint64_t& serial) {
    DirectoryListing listing;
    bool moved_any = false;
    for (;;) {  // again while a pass moves something (the listing changes under it)
        bool moved = false;
        for_each_entry(sub, listing, [&](const char* name, unsigned char) {
            char fresh[24] = "vx.";
            for (;;) {
                write_number(serial++, fresh + 3);
                if (syscall(SYS_renameat2, sub, name, top, fresh, RENAME_NOREPLACE) == 0) {
                    moved = true;
                    break;
                }
                if (errno != EEXIST) break;
            }
            return true;
        });
        if (!moved) return moved_any;
        moved_any = true;
    }
}

// Removes the directory `name` in `parent` if it is still `self` (which the
// caller emptied): by now the name may have been removed, and made again by
// someone else.
bool remove_if_same(int parent, const char* name, int self) {
    struct stat named, held;
    if (fstatat(parent, name, &named, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT;
    if (fstat(self, &held) != 0 || named.st_dev != held.st_dev || named.st_ino != held.st_ino) return true;
    return unlinkat(parent, name, AT_REMOVEDIR) == 0;
}

// The watchdog's life: keeps only its three descriptors (none of the host's
// terminals or pipes, which would keep a reader of vxrun's output waiting),
// waits for the end of file on `pipe`, removes the directory, exits.
[[noreturn]] void watch(int pipe, int parent, int self, const char* name) {
    for (int signo : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) signal(signo, SIG_IGN);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    prctl(PR_SET_NAME, "vx-tmp-watchdog");
    // The three move to 3, 4 and 5 (by way of copies above them), the
    // standard ones to /dev/null (or stay closed), and all else is closed.
    int kept[3] = {fcntl(pipe, F_DUPFD_CLOEXEC, 6), fcntl(parent, F_DUPFD_CLOEXEC, 6),
                   fcntl(self, F_DUPFD_CLOEXEC, 6)};
    if (kept[0] < 0 || kept[1] < 0 || kept[2] < 0) _exit(1);
    for (int i = 0; i < 3; ++i) dup3(kept[i], 3 + i, O_CLOEXEC);
    syscall(SYS_close_range, 6u, ~0u, 0u);
    syscall(SYS_close_range, 0u, 2u, 0u);
    if (open("/dev/null", O_RDWR | O_CLOEXEC) == 0) dup2(0, 1), dup2(0, 2);
    // Nothing writes to the pipe: only its end matters. Anything but the end
    // (which cannot happen) leaves the directory alone rather than take it
    // from a guest still running.
    for (;;) {
        char byte;
        ssize_t n = read(3, &byte, 1);
        if (n == 0) break;
        if (n < 0 && errno != EINTR) _exit(1);
    }
    empty_directory(5);
    remove_if_same(4, name, 5);
    _exit(0);
}

}  // namespace

bool empty_directory(int dir) {
    DirectoryListing listing;
    uint64_t serial = 0;
    fchmod(dir, 0700);  // the guest may have taken its own rights away
    for (;;) {
        bool found = false, progress = false;
        if (!for_each_entry(dir, listing, [&](const char* name, unsigned char type) {
                found = true;
                if (type == DT_DIR || type == DT_UNKNOWN) {
                    int sub = open_subdirectory(dir, name);
                    if (sub >= 0) {
                        fchmod(sub, 0700);
                        progress |= hoist_entries(sub, dir, serial);
                        close(sub);
                        progress |= unlinkat(dir, name, AT_REMOVEDIR) == 0;
                        return true;
                    }
                }
                progress |= unlinkat(dir, name, 0) == 0;
                return true;
            }))
            return false;
        if (!found) return true;
        if (!progress) return false;
    }
}

ScratchDirectory::ScratchDirectory(LeftBehind left_behind) : left_behind_(std::move(left_behind)) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/vx-tmp-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!mkdtemp(buffer.data()))
        throw Error("cannot create a private /tmp under " + pattern + ": " + std::strerror(errno));
    path_ = buffer.data();
    const std::string parent_path = path_.substr(0, path_.find_last_of('/') + 1);
    const std::string name = path_.substr(path_.find_last_of('/') + 1);
    parent_ = open(parent_path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    self_ = open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int ends[2] = {-1, -1};
    int error = parent_ < 0 || self_ < 0 || pipe2(ends, O_CLOEXEC) != 0 ? errno : 0;
    pid_t middle = error ? -1 : fork();
    if (middle == 0) {
        // This middle process ends at once, so the watchdog is no child of
        // the host's, which never waits for it; in a session of its own, a
        // terminal's signals do not reach it.
        close(ends[1]);
        if (setsid() < 0) _exit(1);
        pid_t watchdog = fork();
        if (watchdog == 0) watch(ends[0], parent_, self_, name.c_str());
        _exit(watchdog > 0 ? 0 : 1);
    }
    if (!error && middle < 0) error = errno;
    int status = 0;
    while (middle > 0 && waitpid(middle, &status, 0) < 0 && errno == EINTR) {
    }
    if (ends[0] >= 0) close(ends[0]);
    watchdog_ = ends[1];
    if (error || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string why = error ? std::strerror(error) : "its watchdog did not start";
        remove();
        throw Error("cannot set up a private /tmp at " + path_ + ": " + why);
    }
}

ScratchDirectory::~ScratchDirectory() { remove(); }

void ScratchDirectory::remove() {
    const std::string name = path_.substr(path_.find_last_of('/') + 1);
    bool removed = self_ >= 0 && parent_ >= 0 ? empty_directory(self_) && remove_if_same(parent_, name.c_str(), self_)
                                              : rmdir(path_.c_str()) == 0;  // as mkdtemp made it
    if (!removed && left_behind_) left_behind_(path_, watchdog_ >= 0);
    for (int* fd : {&self_, &parent_, &watchdog_})
        if (*fd >= 0) close(*fd), *fd = -1;
}

}  // namespace vx::os::linux_i386
