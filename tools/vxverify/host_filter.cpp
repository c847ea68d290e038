#include "vxverify/host_filter.h"

#include <fcntl.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "vx/error.h"

namespace vxverify {
namespace {

// What vxverify and the C++ runtime call once the plug-ins are loaded:
// reading the lists and files, writing the report, resetting plug-ins from
// their snapshots (mappings of the snapshot's file, /proc/self/pagemap).
constexpr int kAllowed[] = {
    SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(readv), SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(fstat),
    SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fadvise64), SCMP_SYS(munmap), SCMP_SYS(mremap),
    SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack), SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(clock_gettime),
    SCMP_SYS(exit), SCMP_SYS(exit_group),
};

// Opening for reading only: none of these bits.
constexpr uint64_t kWritingOpenFlags = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;

scmp_arg_cmp masked_equal(unsigned arg, uint64_t mask, uint64_t value) {
    return scmp_arg_cmp{.arg = arg, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = value};
}

scmp_arg_cmp equal(unsigned arg, uint64_t value) { return masked_equal(arg, ~uint64_t(0), value); }

struct FilterDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};

void check(int rc, const char* what) {
    if (rc < 0) throw vx::Error(std::string("vxverify's host filter: ") + what + ": " + std::strerror(-rc));
}

}  // namespace

void install_host_filter(const std::vector<long>& engine_calls) {
    std::unique_ptr<void, FilterDeleter> ctx(seccomp_init(SCMP_ACT_KILL_PROCESS));
    if (!ctx) throw vx::Error("vxverify's host filter: seccomp_init failed");
    check(seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS), "bad-arch action");
    auto allow = [&](int nr, std::initializer_list<scmp_arg_cmp> args, const char* what) {
        check(seccomp_rule_add_array(ctx.get(), SCMP_ACT_ALLOW, nr, unsigned(args.size()), args.begin()), what);
    };
    for (int nr : kAllowed) allow(nr, {}, "allow");
    for (long nr : engine_calls)
        if (nr != SCMP_SYS(mmap) && nr != SCMP_SYS(mprotect) && nr != SCMP_SYS(tgkill) &&
            nr != SCMP_SYS(memfd_create))  // for a host fork's own code cache: vxverify forks none
            allow(int(nr), {}, "allow the engine's call");
    // A thread of this process (an interrupt, a time limit), no other's.
    allow(SCMP_SYS(tgkill), {equal(0, uint64_t(getpid()))}, "allow tgkill");
    for (int fd : {1, 2}) {
        allow(SCMP_SYS(write), {equal(0, uint64_t(fd))}, "allow write");
        allow(SCMP_SYS(writev), {equal(0, uint64_t(fd))}, "allow writev");
    }
    allow(SCMP_SYS(openat), {masked_equal(2, kWritingOpenFlags, 0)}, "allow openat");
    allow(SCMP_SYS(mmap), {masked_equal(2, PROT_EXEC, 0)}, "allow mmap");
    allow(SCMP_SYS(mprotect), {masked_equal(2, PROT_EXEC, 0)}, "allow mprotect");
    allow(SCMP_SYS(ioctl), {masked_equal(1, 0xffffffffu, TCGETS)}, "allow ioctl");  // isatty
    check(seccomp_load(ctx.get()), "load");
}

}  // namespace vxverify
