// Identity, limits, resource use, time, randomness, futexes and the end of
// the process.
#include <linux/futex.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "os/linux_i386/process.h"
#include "os/linux_i386/syscall_numbers.h"

namespace vx::os::linux_i386 {
namespace {

constexpr int32_t kUid = int32_t(kGuestUid);
constexpr uint32_t kMaxRandomBytes = 1u << 20;
// RLIMIT_* as i386 (and every Linux architecture but a few) numbers them.
constexpr uint32_t kRlimitFsize = 1, kRlimitData = 2, kRlimitStack = 3, kRlimitNproc = 6, kRlimitNofile = 7,
                   kRlimitAs = 9;

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

// The limit a guest sees for `resource`: the stack it was given, and the
// limits it runs under (soft and hard alike: it cannot raise them); else none.
Rlimit64 limit_of(uint32_t resource, const ProcessOptions& options, const EngineLimits& engine,
                  uint32_t open_files) {
    auto both = [](uint64_t v) { return Rlimit64{v, v}; };
    switch (resource) {
    case kRlimitStack: return both(options.stack_size);
    case kRlimitNofile: return both(open_files);
    case kRlimitNproc: return both(options.max_processes);
    case kRlimitFsize:
        if (options.max_file_size) return both(*options.max_file_size);
        break;
    case kRlimitAs: case kRlimitData:
        if (engine.memory) return both(*engine.memory);
        break;
    }
    return both(RLIM64_INFINITY);
}

}  // namespace

uint32_t guest_owner_uid(uint32_t host_uid) { return host_uid == getuid() ? kGuestUid : kNobody; }
uint32_t guest_owner_gid(uint32_t host_gid) { return host_gid == getgid() ? kGuestGid : kNobody; }

Rusage32 to_rusage32(const struct rusage& ru) {
    Rusage32 r{};
    r.utime = {int32_t(ru.ru_utime.tv_sec), int32_t(ru.ru_utime.tv_usec)};
    r.stime = {int32_t(ru.ru_stime.tv_sec), int32_t(ru.ru_stime.tv_usec)};
    const long* rest = &ru.ru_maxrss;
    for (int i = 0; i < 14; ++i) r.rest[i] = int32_t(rest[i]);
    return r;
}

int32_t LinuxProcess::sys_exit(const SyscallArgs& a) {  // and exit_group
    const uint32_t status = a.a[0];
    sandbox_.finish(int(status & 0xff));
    return 0;
}

int32_t LinuxProcess::sys_getpid(const SyscallArgs&) { return tree_->self(); }  // and gettid
int32_t LinuxProcess::sys_getppid(const SyscallArgs&) { return tree_->parent_of(tree_->self()); }
int32_t LinuxProcess::sys_getuid(const SyscallArgs&) { return kUid; }
int32_t LinuxProcess::sys_set_tid_address(const SyscallArgs&) { return tree_->self(); }
int32_t LinuxProcess::sys_ok(const SyscallArgs&) { return 0; }

int32_t LinuxProcess::sys_set_id(const SyscallArgs& a) {  // setuid32, setgid32, setres[ug]id32 ...
    // The ids asked for: one for set[ug]id32; real and effective for
    // setre[ug]id32; real, effective and saved for setres[ug]id32.
    const uint32_t ids[3] = {a.a[0], a.a[1], a.a[2]};
    // The guest is uid/gid 1000 and stays so: only "changes" to that are allowed.
    const int taken = a.nr == nr::setresuid32 || a.nr == nr::setresgid32  ? 3
                      : a.nr == nr::setreuid32 || a.nr == nr::setregid32 ? 2
                                                                         : 1;
    for (int i = 0; i < taken; ++i)
        if (ids[i] != uint32_t(kUid) && ids[i] != UINT32_MAX) return fail(EPERM);
    return 0;
}

int32_t LinuxProcess::sys_getresuid(const SyscallArgs& a) {  // and getresgid32
    const uint32_t real_out = a.a[0], effective_out = a.a[1], saved_out = a.a[2];
    for (uint32_t out : {real_out, effective_out, saved_out})
        if (!memory_.write(out, &kUid, sizeof kUid)) return fail(EFAULT);
    return 0;
}

int32_t LinuxProcess::sys_getgroups(const SyscallArgs&) { return 0; }  // in no supplementary group

int32_t LinuxProcess::sys_sched_getaffinity(const SyscallArgs& a) {
    const uint32_t pid = a.a[0], size = a.a[1], mask_out = a.a[2];
    if (pid != 0 && int32_t(pid) != tree_->self()) return fail(ESRCH);
    if (size < 4 || size % 4) return fail(EINVAL);
    long cpus = std::clamp(sysconf(_SC_NPROCESSORS_ONLN), 1L, 32L);
    uint32_t mask = cpus == 32 ? UINT32_MAX : (1u << cpus) - 1;
    return memory_.write(mask_out, &mask, sizeof mask) ? 4 : fail(EFAULT);
}

// Accepted and ignored for the process itself: the host schedules it.
int32_t LinuxProcess::sys_sched_setaffinity(const SyscallArgs& a) {
    const uint32_t pid = a.a[0];
    if (pid != 0 && int32_t(pid) != tree_->self()) return fail(ESRCH);
    return 0;
}

int32_t LinuxProcess::sys_prctl(const SyscallArgs& a) {
    const uint32_t option = a.a[0], argument = a.a[1];
    switch (option) {
    case PR_SET_NAME: {
        char name[16] = {};
        for (int i = 0; i < 15; ++i) {
            if (!memory_.read(argument + uint32_t(i), &name[i], 1)) return fail(EFAULT);
            if (!name[i]) break;
        }
        std::memcpy(process_name_, name, sizeof name);
        return 0;
    }
    case PR_GET_NAME: return memory_.write(argument, process_name_, sizeof process_name_) ? 0 : fail(EFAULT);
    case PR_GET_DUMPABLE: return 1;
    case PR_SET_DUMPABLE: return argument <= 1 ? 0 : fail(EINVAL);
    default: return fail(EINVAL);
    }
}

int32_t LinuxProcess::sys_getrusage(const SyscallArgs& a) {
    const int who = int32_t(a.a[0]);
    const uint32_t usage_out = a.a[1];
    if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD) return fail(EINVAL);
    struct rusage usage;
    if (::getrusage(who, &usage) != 0) return fail(errno);
    Rusage32 r = to_rusage32(usage);
    return memory_.write(usage_out, &r, sizeof r) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_times(const SyscallArgs& a) {
    const uint32_t times_out = a.a[0];
    struct tms t;
    clock_t now = ::times(&t);
    int32_t out[4] = {int32_t(t.tms_utime), int32_t(t.tms_stime), int32_t(t.tms_cutime), int32_t(t.tms_cstime)};
    if (times_out && !memory_.write(times_out, out, sizeof out)) return fail(EFAULT);
    return int32_t(now);
}

int32_t LinuxProcess::sys_sysinfo(const SyscallArgs& a) {
    const uint32_t info_out = a.a[0];
    struct Sysinfo32 {
        int32_t uptime;
        uint32_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
        uint16_t procs, pad;
        uint32_t totalhigh, freehigh, mem_unit;
        uint8_t reserved[8];
    } info{};
    static_assert(sizeof(Sysinfo32) == 64);
    timespec boot;
    clock_gettime(CLOCK_BOOTTIME, &boot);
    info.uptime = int32_t(boot.tv_sec);
    // The guest's own memory is all it has.
    info.totalram = memory_.size();
    info.freeram = uint32_t(space_.free_bytes());
    info.procs = 1;
    info.mem_unit = 1;
    return memory_.write(info_out, &info, sizeof info) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_futex(const SyscallArgs& a) {
    return futex(a, false);
}

int32_t LinuxProcess::sys_futex64(const SyscallArgs& a) {
    return futex(a, true);
}

// The host's futex on the guest's own words: they are host memory, and only
// this process tree maps them (shared words only where the guest made them
// shared with MAP_SHARED). Priority-inheritance calls name host thread ids,
// so they are not offered.
int32_t LinuxProcess::futex(const SyscallArgs& a, bool time64) {
    // The fourth argument is the timeout's address for the waits, a count
    // (val2) for the two-word commands.
    const uint32_t word = a.a[0], op = a.a[1], value = a.a[2], timeout_or_value2 = a.a[3], word2 = a.a[4],
                   value3 = a.a[5];
    constexpr uint32_t kCommandMask = 127;  // the command (FUTEX_CMD_MASK keeps every bit but the two flags)
    const uint32_t command = op & kCommandMask;
    if (op & ~(kCommandMask | FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)) return fail(ENOSYS);
    const bool waits = command == FUTEX_WAIT || command == FUTEX_WAIT_BITSET;
    const bool two_words = command == FUTEX_REQUEUE || command == FUTEX_CMP_REQUEUE || command == FUTEX_WAKE_OP;
    if (!waits && !two_words && command != FUTEX_WAKE && command != FUTEX_WAKE_BITSET) return fail(ENOSYS);
    // As Linux: a misaligned word is EINVAL, before any access.
    if (word % 4 || (two_words && word2 % 4)) return fail(EINVAL);
    if (!memory_.accessible(word, 4, kRead)) return fail(EFAULT);
    // FUTEX_WAKE_OP writes the second word (the host's futex, in place): it
    // must be writable for the host too (not held for a translation or a
    // copy-on-write run), as for a write of the personality's own.
    const Perm second = command == FUTEX_WAKE_OP ? kWrite : kRead;
    if (two_words && !memory_.accessible(word2, 4, second)) return fail(EFAULT);
    struct timespec timeout, *timeout_ptr = nullptr;
    uintptr_t fourth = timeout_or_value2;
    if (waits && timeout_or_value2) {
        if (time64) {
            Timespec64 t;
            if (!memory_.read(timeout_or_value2, &t, sizeof t)) return fail(EFAULT);
            timeout = {time_t(t.sec), long(t.nsec)};
        } else {
            Timespec32 t;
            if (!memory_.read(timeout_or_value2, &t, sizeof t)) return fail(EFAULT);
            timeout = {t.sec, t.nsec};
        }
        timeout_ptr = &timeout;
        fourth = reinterpret_cast<uintptr_t>(timeout_ptr);
    }
    uint8_t* base = memory_.host_base();
    long r = blocking(SYS_futex, base + word, int(op), value, waits ? fourth : uintptr_t(timeout_or_value2),
                      two_words ? base + word2 : nullptr, value3);
    return r < 0 ? fail(errno) : int32_t(r);
}

int32_t LinuxProcess::sys_uname(const SyscallArgs& a) {
    const uint32_t utsname_out = a.a[0];
    struct utsname host;
    uname(&host);
    struct utsname u{};
    std::strcpy(u.sysname, "Linux");
    std::strcpy(u.nodename, "vx");
    std::memcpy(u.release, host.release, sizeof u.release);
    std::memcpy(u.version, host.version, sizeof u.version);
    std::strcpy(u.machine, "i686");
    return memory_.write(utsname_out, &u, 6 * 65) ? 0 : fail(EFAULT);  // no domainname in old_utsname's place
}

int32_t LinuxProcess::sys_ugetrlimit(const SyscallArgs& a) {
    const uint32_t resource = a.a[0], limit_out = a.a[1];
    Rlimit64 l = limit_of(resource, options_, sandbox_.limits(), descriptors_.limit());
    auto clamp = [](uint64_t v) { return v > UINT32_MAX ? UINT32_MAX : uint32_t(v); };
    Rlimit32 out{clamp(l.cur), clamp(l.max)};
    return memory_.write(limit_out, &out, sizeof out) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_prlimit64(const SyscallArgs& a) {
    const uint32_t pid = a.a[0], resource = a.a[1], new_limit = a.a[2], old_limit_out = a.a[3];
    if (pid != 0 && int32_t(pid) != tree_->self()) return fail(ESRCH);
    if (new_limit != 0) return fail(EPERM);  // limits are the host's to set
    if (old_limit_out == 0) return 0;
    Rlimit64 l = limit_of(resource, options_, sandbox_.limits(), descriptors_.limit());
    return memory_.write(old_limit_out, &l, sizeof l) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_getrandom(const SyscallArgs& a) {  // the flags are not looked at
    const uint32_t buffer = a.a[0], count = a.a[1];
    uint32_t length = std::min(count, kMaxRandomBytes);
    if (!memory_.accessible(buffer, length, kWrite)) return fail(EFAULT);
    ssize_t n = getrandom(memory_.host_base() + buffer, length, 0);
    return n < 0 ? fail(errno) : int32_t(n);
}

int32_t LinuxProcess::sys_clock_gettime(const SyscallArgs& a) {
    const uint32_t clock = a.a[0], time_out = a.a[1];
    timespec now;
    if (!read_clock(clock, now)) return fail(EINVAL);
    Timespec32 t{int32_t(now.tv_sec), int32_t(now.tv_nsec)};
    return memory_.write(time_out, &t, sizeof t) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_clock_gettime64(const SyscallArgs& a) {
    const uint32_t clock = a.a[0], time_out = a.a[1];
    timespec now;
    if (!read_clock(clock, now)) return fail(EINVAL);
    Timespec64 t{now.tv_sec, now.tv_nsec};
    return memory_.write(time_out, &t, sizeof t) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_gettimeofday(const SyscallArgs& a) {  // the time zone is not written
    const uint32_t time_out = a.a[0];
    timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    Timeval32 t{int32_t(now.tv_sec), int32_t(now.tv_nsec / 1000)};
    if (time_out && !memory_.write(time_out, &t, sizeof t)) return fail(EFAULT);
    return 0;
}

// Sleeps of at most this long, so a guest cannot park the host for days.
constexpr int64_t kMaxSleepSeconds = 3600;

int32_t LinuxProcess::sleep_for(clockid_t clock, int flags, int64_t sec, int64_t nsec) {
    if (sec < 0 || nsec < 0 || nsec >= 1000000000) return fail(EINVAL);
    timespec t{time_t(std::min(sec, kMaxSleepSeconds)), long(nsec)};
    return blocking(SYS_clock_nanosleep, clock, flags & TIMER_ABSTIME, &t, nullptr) == 0 ? 0 : fail(errno);
}

// The time left (nanosleep's rem, clock_nanosleep's remain) is never written.
int32_t LinuxProcess::sys_nanosleep(const SyscallArgs& a) {
    const uint32_t duration = a.a[0];
    Timespec32 t;
    if (!memory_.read(duration, &t, sizeof t)) return fail(EFAULT);
    return sleep_for(CLOCK_MONOTONIC, 0, t.sec, t.nsec);
}

int32_t LinuxProcess::sys_clock_nanosleep(const SyscallArgs& a) {
    const uint32_t clock = a.a[0], flags = a.a[1], duration = a.a[2];
    Timespec32 t;
    if (!memory_.read(duration, &t, sizeof t)) return fail(EFAULT);
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return fail(EINVAL);
    return sleep_for(clockid_t(clock), int(flags), t.sec, t.nsec);
}

int32_t LinuxProcess::sys_clock_nanosleep64(const SyscallArgs& a) {
    const uint32_t clock = a.a[0], flags = a.a[1], duration = a.a[2];
    Timespec64 t;
    if (!memory_.read(duration, &t, sizeof t)) return fail(EFAULT);
    if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) return fail(EINVAL);
    return sleep_for(clockid_t(clock), int(flags), t.sec, t.nsec);
}

int32_t LinuxProcess::sys_sched_yield(const SyscallArgs&) { return 0; }

int32_t LinuxProcess::sys_time(const SyscallArgs& a) {
    const uint32_t time_out = a.a[0];
    int32_t now = int32_t(::time(nullptr));
    if (time_out && !memory_.write(time_out, &now, sizeof now)) return fail(EFAULT);
    return now;
}

}  // namespace vx::os::linux_i386
