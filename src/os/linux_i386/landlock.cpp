#include "os/linux_i386/landlock.h"

#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "vx/error.h"

// The installed <linux/landlock.h> may be older than the kernel: Debian 12's
// knows ABI 2 only. What later ABIs added is defined here, with the kernel's
// own values, so that a vxrun built on such a system still uses the kernel it
// runs on (which is asked for its ABI version before anything is used).
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)  // ABI 3
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)  // ABI 5
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)  // ABI 4
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)  // ABI 6
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

namespace vx::os::linux_i386 {
namespace {

// struct landlock_ruleset_attr as of ABI 6 (the installed header may have
// only its first field); the kernel takes the size that the ABI knows.
struct RulesetAttr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

constexpr uint64_t kFileRights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
                                 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                 LANDLOCK_ACCESS_FS_IOCTL_DEV;
constexpr uint64_t kReadRights = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
// What a writable grant allows: everything the personality does in one.
// Never: executing (the host execs nothing), making devices, sockets or FIFOs
// (the personality makes none).
constexpr uint64_t kWriteRights = kReadRights | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |
                                  LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                                  LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                                  LANDLOCK_ACCESS_FS_MAKE_SYM | LANDLOCK_ACCESS_FS_REFER;

// Every file-system right the kernel's ABI knows: all handled, so all denied
// unless a rule allows them.
uint64_t fs_rights_of(int abi) {
    uint64_t rights = (LANDLOCK_ACCESS_FS_MAKE_SYM << 1) - 1;  // ABI 1: execute .. make_sym
    if (abi >= 2) rights |= LANDLOCK_ACCESS_FS_REFER;
    if (abi >= 3) rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
    if (abi >= 5) rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
    return rights;
}

uint64_t rights_for(HostAccess access) {
    switch (access) {
    // Device ioctls (IOCTL_DEV) in either mode: which requests pass is the filter's business.
    case HostAccess::ReadOnly: return kReadRights | LANDLOCK_ACCESS_FS_IOCTL_DEV;
    case HostAccess::ReadWrite: return kWriteRights | LANDLOCK_ACCESS_FS_IOCTL_DEV;
    case HostAccess::ReadFilesOnly: return LANDLOCK_ACCESS_FS_READ_FILE;
    case HostAccess::RemoveDirsOnly: return LANDLOCK_ACCESS_FS_REMOVE_DIR;
    }
    return 0;
}

int landlock_abi() {
    long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? 0 : int(abi);  // ENOSYS: not built in; EOPNOTSUPP: disabled at boot
}

[[noreturn]] void fail(const std::string& what, int error) {
    throw Error("Landlock: " + what + ": " + std::strerror(error));
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

void add_rule(int ruleset, const HostRule& rule, uint64_t handled) {
    Fd target(rule.fd >= 0 ? fcntl(rule.fd, F_DUPFD_CLOEXEC, 3) : open(rule.path.c_str(), O_PATH | O_CLOEXEC));
    if (target.get() < 0) {
        if (errno == ENOENT) return;  // nothing there to reach: no rule is the narrower one
        fail(rule.path, errno);
    }
    struct stat st;
    if (fstat(target.get(), &st) != 0) fail(rule.path, errno);
    uint64_t rights = rights_for(rule.access) & handled;
    if (!S_ISDIR(st.st_mode)) rights &= kFileRights;  // a file has nothing beneath it
    if (!rights) return;
    landlock_path_beneath_attr beneath{};
    beneath.allowed_access = rights;
    beneath.parent_fd = target.get();
    if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) != 0)
        fail("rule for " + rule.path, errno);
}

}  // namespace

LandlockOutcome enter_landlock_domain(const std::vector<HostRule>& rules, int abi_limit) {
    LandlockOutcome outcome;
    outcome.abi = std::min(landlock_abi(), abi_limit);
    if (outcome.abi == 0) {
        outcome.missing = {"files outside the grants", "other processes' memory", "signals to other processes"};
        return outcome;
    }
    if (outcome.abi < 2) outcome.missing.push_back("moving files between directories (refused)");
    if (outcome.abi < 4) outcome.missing.push_back("TCP bind and connect");
    if (outcome.abi < 6) {
        outcome.missing.push_back("signals to other processes");
        outcome.missing.push_back("abstract UNIX sockets");
    }

    RulesetAttr attr{};
    attr.handled_access_fs = fs_rights_of(outcome.abi);
    size_t attr_size = sizeof attr.handled_access_fs;
    if (outcome.abi >= 4) {
        attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;  // no port allowed
        attr_size = offsetof(RulesetAttr, scoped);
    }
    if (outcome.abi >= 6) {
        attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
        attr_size = sizeof attr;
    }
    Fd ruleset(int(syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0)));
    if (ruleset.get() < 0) fail("create ruleset", errno);
    for (const HostRule& rule : rules) add_rule(ruleset.get(), rule, attr.handled_access_fs);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) fail("no_new_privs", errno);
    if (syscall(SYS_landlock_restrict_self, ruleset.get(), 0) != 0) fail("restrict self", errno);
    outcome.entered = true;
    return outcome;
}

std::string describe(const LandlockOutcome& outcome) {
    std::string text = outcome.abi ? "Landlock ABI " + std::to_string(outcome.abi) : "no Landlock";
    if (outcome.abi && !outcome.entered) text += ", not entered";
    if (!outcome.missing.empty()) {
        text += "; not held by it: ";
        for (size_t i = 0; i < outcome.missing.size(); ++i) text += (i ? ", " : "") + outcome.missing[i];
    }
    return text;
}

}  // namespace vx::os::linux_i386
