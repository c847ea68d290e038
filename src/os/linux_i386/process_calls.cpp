// Identity, limits, time, randomness and the end of the process.
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

constexpr int32_t kUid = 1000;
constexpr uint32_t kMaxRandomBytes = 1u << 20;
constexpr uint32_t kRlimitStack = 3;

struct Timespec32 { int32_t sec, nsec; };
struct Timespec64 { int64_t sec, nsec; };
struct Timeval32 { int32_t sec, usec; };
struct Rlimit32 { uint32_t cur, max; };
struct Rlimit64 { uint64_t cur, max; };

bool read_clock(uint32_t clock, timespec& now) {
    switch (clock) {
    case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_PROCESS_CPUTIME_ID: case CLOCK_THREAD_CPUTIME_ID:
    case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
        return clock_gettime(clockid_t(clock), &now) == 0;
    default:
        return false;
    }
}

// The limit a guest sees for `resource`: the stack it was given, else none.
Rlimit64 limit_of(uint32_t resource, uint64_t stack_size) {
    if (resource == kRlimitStack) return {stack_size, stack_size};
    return {RLIM64_INFINITY, RLIM64_INFINITY};
}

}  // namespace

int32_t LinuxProcess::sys_exit(const SyscallArgs& a) {
    sandbox_.finish(int(a.a[0] & 0xff));
    return 0;
}

int32_t LinuxProcess::sys_getpid(const SyscallArgs&) { return tree_->self(); }  // and gettid
int32_t LinuxProcess::sys_getppid(const SyscallArgs&) { return tree_->parent_of(tree_->self()); }
int32_t LinuxProcess::sys_getuid(const SyscallArgs&) { return kUid; }
int32_t LinuxProcess::sys_set_tid_address(const SyscallArgs&) { return tree_->self(); }
int32_t LinuxProcess::sys_ok(const SyscallArgs&) { return 0; }

int32_t LinuxProcess::sys_uname(const SyscallArgs& a) {
    struct utsname host;
    uname(&host);
    struct utsname u{};
    std::strcpy(u.sysname, "Linux");
    std::strcpy(u.nodename, "vx");
    std::memcpy(u.release, host.release, sizeof u.release);
    std::memcpy(u.version, host.version, sizeof u.version);
    std::strcpy(u.machine, "i686");
    return memory_.write(a.a[0], &u, 6 * 65) ? 0 : fail(EFAULT);  // no domainname in old_utsname's place
}

int32_t LinuxProcess::sys_ugetrlimit(const SyscallArgs& a) {
    Rlimit64 l = limit_of(a.a[0], options_.stack_size);
    auto clamp = [](uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : uint32_t(v); };
    Rlimit32 out{clamp(l.cur), clamp(l.max)};
    return memory_.write(a.a[1], &out, sizeof out) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_prlimit64(const SyscallArgs& a) {
    if (a.a[0] != 0 && int32_t(a.a[0]) != tree_->self()) return fail(ESRCH);
    if (a.a[2] != 0) return fail(EPERM);  // limits are the host's to set
    if (a.a[3] == 0) return 0;
    Rlimit64 l = limit_of(a.a[1], options_.stack_size);
    return memory_.write(a.a[3], &l, sizeof l) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_getrandom(const SyscallArgs& a) {
    uint32_t length = std::min(a.a[1], kMaxRandomBytes);
    if (!memory_.accessible(a.a[0], length, kWrite)) return fail(EFAULT);
    ssize_t n = getrandom(memory_.host_base() + a.a[0], length, 0);
    return n < 0 ? fail(errno) : int32_t(n);
}

int32_t LinuxProcess::sys_clock_gettime(const SyscallArgs& a) {
    timespec now;
    if (!read_clock(a.a[0], now)) return fail(EINVAL);
    Timespec32 t{int32_t(now.tv_sec), int32_t(now.tv_nsec)};
    return memory_.write(a.a[1], &t, sizeof t) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_clock_gettime64(const SyscallArgs& a) {
    timespec now;
    if (!read_clock(a.a[0], now)) return fail(EINVAL);
    Timespec64 t{now.tv_sec, now.tv_nsec};
    return memory_.write(a.a[1], &t, sizeof t) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_gettimeofday(const SyscallArgs& a) {
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Timeval32 t{int32_t(now.tv_sec), int32_t(now.tv_nsec / 1000)};
    if (a.a[0] && !memory_.write(a.a[0], &t, sizeof t)) return fail(EFAULT);
    return 0;
}

// Sleeps of at most this long, so a guest cannot park the host for days.
constexpr int64_t kMaxSleepSeconds = 3600;

static int32_t sleep_for(clockid_t clock, int flags, int64_t sec, int64_t nsec) {
    if (sec < 0 || nsec < 0 || nsec >= 1000000000) return fail(EINVAL);
    timespec t{time_t(std::min(sec, kMaxSleepSeconds)), long(nsec)};
    int r = clock_nanosleep(clock, flags & TIMER_ABSTIME, &t, nullptr);
    return r == 0 ? 0 : fail(r);
}

int32_t LinuxProcess::sys_nanosleep(const SyscallArgs& a) {
    Timespec32 t;
    if (!memory_.read(a.a[0], &t, sizeof t)) return fail(EFAULT);
    return sleep_for(CLOCK_MONOTONIC, 0, t.sec, t.nsec);
}

int32_t LinuxProcess::sys_clock_nanosleep(const SyscallArgs& a) {
    Timespec32 t;
    if (!memory_.read(a.a[2], &t, sizeof t)) return fail(EFAULT);
    if (a.a[0] != CLOCK_REALTIME && a.a[0] != CLOCK_MONOTONIC) return fail(EINVAL);
    return sleep_for(clockid_t(a.a[0]), int(a.a[1]), t.sec, t.nsec);
}

int32_t LinuxProcess::sys_clock_nanosleep64(const SyscallArgs& a) {
    Timespec64 t;
    if (!memory_.read(a.a[2], &t, sizeof t)) return fail(EFAULT);
    if (a.a[0] != CLOCK_REALTIME && a.a[0] != CLOCK_MONOTONIC) return fail(EINVAL);
    return sleep_for(clockid_t(a.a[0]), int(a.a[1]), t.sec, t.nsec);
}

int32_t LinuxProcess::sys_sched_yield(const SyscallArgs&) { return 0; }

int32_t LinuxProcess::sys_time(const SyscallArgs& a) {
    int32_t now = int32_t(::time(nullptr));
    if (a.a[0] && !memory_.write(a.a[0], &now, sizeof now)) return fail(EFAULT);
    return now;
}

}  // namespace vx::os::linux_i386
