#include "os/linux_i386/host_filter.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "vx/error.h"

namespace vx::os::linux_i386 {
namespace {

// What the personality and the C++ runtime call on the host while a guest
// runs (the engine says what it calls: Sandbox::host_calls). Not here, among others: execve (guest execs are done inside
// the sandbox), ptrace, sockets, mounts and namespaces, module loading, bpf,
// perf, userfaultfd, io_uring, keys, modify_ldt, iopl, personality, set*id;
// chmod and chown by path, truncate by path (the personality changes only
// what it opened: fchmod, ftruncate, futimens), kill and tkill (it signals
// through pidfds, the engine and the C library with tgkill). Which files,
// processes and signals these reach is the Landlock domain's business
// (landlock.h): a path cannot be checked here.
constexpr int kAllowed[] = {
    // descriptors and files
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
    SCMP_SYS(preadv), SCMP_SYS(pwritev), SCMP_SYS(lseek), SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2),
    SCMP_SYS(close), SCMP_SYS(close_range), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(fcntl),
    SCMP_SYS(flock), SCMP_SYS(fstat), SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(newfstatat), SCMP_SYS(statx),
    SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(getdents64), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
    SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(mkdir), SCMP_SYS(mkdirat),
    SCMP_SYS(rmdir), SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
    SCMP_SYS(renameat2), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(symlink), SCMP_SYS(symlinkat),
    SCMP_SYS(fchmod), SCMP_SYS(ftruncate), SCMP_SYS(fsync),
    SCMP_SYS(fdatasync), SCMP_SYS(fadvise64), SCMP_SYS(sendfile), SCMP_SYS(pipe), SCMP_SYS(pipe2),
    SCMP_SYS(getcwd), SCMP_SYS(chdir), SCMP_SYS(fchdir), SCMP_SYS(umask),
    // readiness and time
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6), SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
    SCMP_SYS(time), SCMP_SYS(times), SCMP_SYS(alarm), SCMP_SYS(setitimer), SCMP_SYS(getitimer),
    // memory
    SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise), SCMP_SYS(brk),
    SCMP_SYS(msync), SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list), SCMP_SYS(rseq),
    // signals and processes (within the guest's tree: see process_tree.h)
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigsuspend),
    SCMP_SYS(rt_sigpending), SCMP_SYS(rt_sigtimedwait), SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall),
    SCMP_SYS(tgkill), SCMP_SYS(pidfd_open), SCMP_SYS(pidfd_send_signal),
    SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(set_tid_address),
    SCMP_SYS(getpid), SCMP_SYS(getppid), SCMP_SYS(gettid), SCMP_SYS(getpgid), SCMP_SYS(getpgrp),
    SCMP_SYS(getsid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    SCMP_SYS(getresuid), SCMP_SYS(getresgid), SCMP_SYS(getgroups), SCMP_SYS(getrusage), SCMP_SYS(sysinfo),
    SCMP_SYS(uname), SCMP_SYS(getrandom), SCMP_SYS(getrlimit), SCMP_SYS(setrlimit),
    SCMP_SYS(sched_getaffinity), SCMP_SYS(sched_yield), SCMP_SYS(getcpu),
};

// The terminal requests the personality passes on (file_calls.cpp), and the
// one the C library's isatty makes.
constexpr unsigned long kAllowedIoctls[] = {TCGETS, TCSETS, TCSETSW, TCSETSF, TCFLSH, TIOCGWINSZ, FIONREAD};

// prctl: the parent-death signal of forked guest processes, and reading it.
constexpr int kAllowedPrctls[] = {PR_SET_PDEATHSIG, PR_GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_NAME, PR_GET_NAME};

// clone makes a host process for a guest fork: never a thread, never in new
// namespaces.
constexpr uint64_t kForbiddenCloneFlags = CLONE_VM | CLONE_THREAD | CLONE_SETTLS | CLONE_NEWNS | CLONE_NEWUTS |
                                          CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                                          CLONE_NEWCGROUP | CLONE_PTRACE | CLONE_UNTRACED;

// What a host that only reads files and reports (vxverify) and the C++
// runtime call once its sandboxes are made: reading, resetting sandboxes
// from snapshots (mappings of a snapshot's file, /proc/self/pagemap),
// signals among its own threads, time.
constexpr int kReaderAllowed[] = {
    SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat),
    SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fadvise64), SCMP_SYS(munmap), SCMP_SYS(mremap),
    SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(clock_gettime),
    SCMP_SYS(exit), SCMP_SYS(exit_group),
};

// Opening for reading only: none of these bits.
constexpr uint64_t kWritingOpenFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;

// Argument `arg` & mask == value. (libseccomp's SCMP_A* macros leave a field
// to the compiler, which clang warns about.)
scmp_arg_cmp masked_equal(unsigned arg, uint64_t mask, uint64_t value) {
    return scmp_arg_cmp{.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = value};
}

scmp_arg_cmp equal(unsigned arg, uint64_t value) { return masked_equal(arg, ~uint64_t(0), value); }

struct FilterDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};

void check(int rc, const char* what) {
    if (rc < 0) throw Error(std::string("host filter: ") + what + ": " + std::strerror(-rc));
}

}  // namespace

void install_host_filter(const std::vector<long>& engine_calls, const std::vector<ExecutableRegion>& executable) {
    std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_KILL_PROCESS));
    if (!ctx) throw Error("host filter: seccomp_init failed");
    // Calls through the i386 or x32 ABI: the host, a 64-bit program, never
    // makes one, so one can only come from code that got out.
    check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "bad-arch action");
    for (int nr : kAllowed) check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, nr, 0), "allow");
    for (long nr : engine_calls)
        if (nr != SCMP_SYS(mmap) && nr != SCMP_SYS(mprotect))  // never PROT_EXEC: below
            check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, int(nr), 0), "allow the engine's call");
    for (unsigned long request : kAllowedIoctls)
        check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                               masked_equal(1, 0xffffffffu, request)),
              "allow ioctl");
    for (int option : kAllowedPrctls)
        check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1, masked_equal(0, ~uint64_t(0), uint64_t(option))),
              "allow prctl");
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           masked_equal(0, kForbiddenCloneFlags, 0)),
          "allow clone");
    // No executable memory is made after start-up: neither mmap nor mprotect
    // may ask for PROT_EXEC, except the one remap a forked child makes of each
    // region the engine already executes (the code cache gets a memfd of its
    // own), at exactly its address, size and protection.
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, masked_equal(2, PROT_EXEC, 0)), "allow mmap");
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, masked_equal(2, PROT_EXEC, 0)),
          "allow mprotect");
    for (const ExecutableRegion& region : executable)
        check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(mmap), 4, equal(0, region.begin),
                               equal(1, region.size), equal(2, PROT_READ | PROT_EXEC),
                               equal(3, MAP_SHARED | MAP_FIXED)),
              "allow the executable remap");
    // Limits of this process only (what getrlimit and setrlimit make of prlimit64).
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 1, equal(0, 0)), "allow prlimit64");
    // futimens, never a path.
    check(seccomp_rule_add(ctx.get(), SCMP_ACT_ALLOW, SCMP_SYS(utimensat), 1, equal(1, 0)), "allow utimensat");
    check(seccomp_load(ctx.get()), "load");
}

namespace {

enum class FilterKind { Reader, Extractor };

void install_narrow_filter(const std::vector<long>& engine_calls, FilterKind kind) {
    std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_KILL_PROCESS));
    if (!ctx) throw Error("host filter: seccomp_init failed");
    check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "bad-arch action");
    auto allow = [&](int nr, std::initializer_list<scmp_arg_cmp> args, const char* what) {
        check(seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, nr, unsigned(args.size()), args.begin()), what);
    };
    for (int nr : kReaderAllowed) allow(nr, {}, "allow");
    for (long nr : engine_calls)
        if (nr != SCMP_SYS(mmap) && nr != SCMP_SYS(mprotect) && nr != SCMP_SYS(tgkill) &&
            nr != SCMP_SYS(memfd_create))  // for a host fork's own code cache: such a host forks none
            allow(int(nr), {}, "allow the engine's call");
    // A thread of this process (an interrupt, a time limit), no other's.
    allow(SCMP_SYS(tgkill), {equal(0, uint64_t(getpid()))}, "allow tgkill");
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer's runtime tells readable memory by writing it into a
    // pipe of its own: a sanitized build (tests only) gives it those.
    allow(SCMP_SYS(pipe2), {}, "allow pipe2 (AddressSanitizer)");
    allow(SCMP_SYS(write), {}, "allow write (AddressSanitizer)");
#else
    if (kind == FilterKind::Extractor)
        allow(SCMP_SYS(write), {}, "allow write");
    else
        for (int fd : {1, 2}) allow(SCMP_SYS(write), {equal(0, uint64_t(fd))}, "allow write");
#endif
    for (int fd : {1, 2}) allow(SCMP_SYS(writev), {equal(0, uint64_t(fd))}, "allow writev");
    if (kind == FilterKind::Extractor) {
        for (int nr : {SCMP_SYS(openat), SCMP_SYS(mkdirat), SCMP_SYS(renameat), SCMP_SYS(renameat2), SCMP_SYS(unlinkat), SCMP_SYS(fchmod),
                       SCMP_SYS(fstatfs), SCMP_SYS(getrandom), SCMP_SYS(stat)})  // stat: older glibc's mktime
            allow(nr, {}, "allow a call that makes files");
        allow(SCMP_SYS(utimensat), {equal(1, 0)}, "allow utimensat of a descriptor (futimens)");
        allow(SCMP_SYS(fcntl), {equal(1, F_DUPFD_CLOEXEC)}, "allow fcntl F_DUPFD_CLOEXEC");
    } else {
        allow(SCMP_SYS(openat), {masked_equal(2, kWritingOpenFlags, 0)}, "allow openat");
    }
    allow(SCMP_SYS(mmap), {masked_equal(2, PROT_EXEC, 0)}, "allow mmap");
    allow(SCMP_SYS(mprotect), {masked_equal(2, PROT_EXEC, 0)}, "allow mprotect");
    allow(SCMP_SYS(ioctl), {masked_equal(1, 0xffffffffu, TCGETS)}, "allow ioctl");  // isatty
    check(seccomp_load(ctx.get()), "load");
}

}  // namespace

void install_reader_filter(const std::vector<long>& engine_calls) {
    install_narrow_filter(engine_calls, FilterKind::Reader);
}

void install_extractor_filter(const std::vector<long>& engine_calls) {
    install_narrow_filter(engine_calls, FilterKind::Extractor);
}

}  // namespace vx::os::linux_i386
