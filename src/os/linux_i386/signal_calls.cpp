// Signal dispositions and signals a guest sends itself. Delivering a signal
// to a guest handler is not implemented yet: a signal the guest does not
// ignore ends it with the signal's status, as the default action would.
#include <csignal>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

constexpr uint32_t kSigDefault = 0, kSigIgnore = 1;
constexpr uint64_t kUnblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));
constexpr int32_t kSelf = 1;  // the pid the guest sees (process_calls.cpp)

bool default_is_ignore(int signo) {
    return signo == SIGCHLD || signo == SIGURG || signo == SIGWINCH || signo == SIGCONT;
}

}  // namespace

int32_t LinuxProcess::sys_rt_sigaction(const SyscallArgs& a) {
    uint32_t signo = a.a[0];
    if (signo == 0 || signo >= kSignals || a.a[3] != 8) return fail(EINVAL);
    if (a.a[2]) {
        KernelSigaction32 old{signal_handlers_[signo], 0, 0, 0};
        if (!memory_.write(a.a[2], &old, sizeof old)) return fail(EFAULT);
    }
    if (a.a[1]) {
        if (signo == SIGKILL || signo == SIGSTOP) return fail(EINVAL);
        KernelSigaction32 act;
        if (!memory_.read(a.a[1], &act, sizeof act)) return fail(EFAULT);
        signal_handlers_[signo] = act.handler;
    }
    return 0;
}

int32_t LinuxProcess::sys_rt_sigprocmask(const SyscallArgs& a) {
    if (a.a[3] != 8) return fail(EINVAL);
    if (a.a[2] && !memory_.write(a.a[2], &signal_mask_, sizeof signal_mask_)) return fail(EFAULT);
    if (!a.a[1]) return 0;
    uint64_t set;
    if (!memory_.read(a.a[1], &set, sizeof set)) return fail(EFAULT);
    switch (a.a[0]) {
    case SIG_BLOCK: signal_mask_ |= set; break;
    case SIG_UNBLOCK: signal_mask_ &= ~set; break;
    case SIG_SETMASK: signal_mask_ = set; break;
    default: return fail(EINVAL);
    }
    signal_mask_ &= ~kUnblockable;
    return 0;
}

int32_t LinuxProcess::die_of_signal(int signo) {
    killed_by_ = signo;
    sandbox_.finish(128 + signo);
    return 0;
}

int32_t LinuxProcess::sys_kill(const SyscallArgs& a) {  // kill and tkill: only itself
    int32_t pid = int32_t(a.a[0]);
    uint32_t signo = a.a[1];
    if (pid != kSelf && pid != 0 && pid != -1) return fail(pid > 0 ? ESRCH : EPERM);
    if (signo >= kSignals) return fail(EINVAL);
    if (signo == 0) return 0;
    bool blocked = signal_mask_ & (1ull << (signo - 1));
    uint32_t handler = signal_handlers_[signo];
    if (blocked || handler == kSigIgnore || (handler == kSigDefault && default_is_ignore(int(signo)))) return 0;
    return die_of_signal(int(signo));  // default action, or a handler vx cannot call yet
}

int32_t LinuxProcess::sys_tgkill(const SyscallArgs& a) {
    if (int32_t(a.a[0]) != kSelf) return fail(ESRCH);
    return sys_kill({a.nr, {a.a[1], a.a[2], 0, 0, 0, 0}});
}

}  // namespace vx::os::linux_i386
