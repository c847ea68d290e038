// Signals: dispositions as the guest sets them, signals it sends itself, and
// faults it asked to handle, delivered through an i386 rt signal frame on its
// own stack; rt_sigreturn takes the frame back. The handler's floating-point
// state is not saved in the frame (fpstate is 0).
#include <csignal>
#include <cstring>

#include "vx/sandbox.h"

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

constexpr uint32_t kSigDefault = 0, kSigIgnore = 1;
constexpr uint64_t kUnblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));
constexpr int32_t kSelf = 1;  // the pid the guest sees (process_calls.cpp)

bool default_is_ignore(int signo) {
    return signo == SIGCHLD || signo == SIGURG || signo == SIGWINCH || signo == SIGCONT;
}

uint64_t bit(int signo) { return 1ull << (signo - 1); }

// si_code for a fault, as the kernel reports it.
int code_for(const Fault& fault, int signo, const GuestMemory& memory) {
    switch (signo) {
    case SIGSEGV:
        if (fault.kind != FaultKind::PageFault) return SI_KERNEL;
        return fault.address && memory.perms_at(*fault.address) != kNone ? SEGV_ACCERR : SEGV_MAPERR;
    case SIGFPE: return fault.kind == FaultKind::DivideError ? FPE_INTDIV : FPE_FLTINV;
    case SIGILL: return ILL_ILLOPN;
    case SIGBUS: return BUS_ADRALN;
    case SIGTRAP: return TRAP_BRKPT;
    default: return SI_KERNEL;
    }
}

}  // namespace

int32_t LinuxProcess::sys_rt_sigaction(const SyscallArgs& a) {
    uint32_t signo = a.a[0];
    if (signo == 0 || signo >= kSignals || a.a[3] != 8) return fail(EINVAL);
    if (a.a[2]) {
        if (!memory_.write(a.a[2], &signal_actions_[signo], sizeof signal_actions_[signo])) return fail(EFAULT);
    }
    if (a.a[1]) {
        if (signo == SIGKILL || signo == SIGSTOP) return fail(EINVAL);
        KernelSigaction32 act;
        if (!memory_.read(a.a[1], &act, sizeof act)) return fail(EFAULT);
        signal_actions_[signo] = act;
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
    switch (disposition(int(signo))) {
    case Disposition::Ignore: return 0;
    case Disposition::Terminate: return die_of_signal(int(signo));
    case Disposition::Handle:
        pending_signal_ = int(signo);  // after this call's result is in eax
        pending_code_ = a.nr == 37 ? SI_USER : SI_TKILL;
        return 0;
    }
    return 0;
}

LinuxProcess::Disposition LinuxProcess::disposition(int signo) const {
    uint32_t handler = signal_actions_[signo].handler;
    if ((signal_mask_ & bit(signo)) || handler == kSigIgnore) return Disposition::Ignore;  // blocked: dropped
    if (handler == kSigDefault) return default_is_ignore(signo) ? Disposition::Ignore : Disposition::Terminate;
    return Disposition::Handle;
}

bool LinuxProcess::deliver_fault(const Fault& fault) {
    int signo = linux_signal_for(fault.kind);
    // As the kernel does, a fault that is blocked or ignored kills.
    if (disposition(signo) != Disposition::Handle) return false;
    return deliver_signal(signo, code_for(fault, signo, memory_), fault.address.value_or(0));
}

SigContext32 LinuxProcess::save_context(uint32_t fault_address) const {
    const Registers& r = sandbox_.registers();
    SigContext32 c{};
    c.edi = r.edi; c.esi = r.esi; c.ebp = r.ebp; c.esp = r.esp; c.ebx = r.ebx;
    c.edx = r.edx; c.ecx = r.ecx; c.eax = r.eax; c.eip = r.eip; c.eflags = r.eflags;
    c.esp_at_signal = r.esp;
    c.cs = 0x23; c.ds = c.es = c.ss = 0x2b;
    c.cr2 = fault_address;
    c.oldmask = uint32_t(signal_mask_);
    return c;
}

void LinuxProcess::restore_context(const SigContext32& c, uint64_t mask) {
    Registers& r = sandbox_.registers();
    r.edi = c.edi; r.esi = c.esi; r.ebp = c.ebp; r.esp = c.esp; r.ebx = c.ebx;
    r.edx = c.edx; r.ecx = c.ecx; r.eip = c.eip;
    r.eflags = sanitize_eflags(c.eflags);
    signal_mask_ = mask & ~kUnblockable;
}

bool LinuxProcess::deliver_signal(int signo, int code, uint32_t fault_address) {
    const KernelSigaction32 action = signal_actions_[signo];
    if (!(action.flags & kSaRestorer)) return false;  // no vDSO to return through
    Registers& r = sandbox_.registers();
    const bool rt = action.flags & kSaSiginfo;
    const uint32_t size = rt ? uint32_t(sizeof(RtSigFrame32)) : uint32_t(sizeof(SigFrame32));
    uint32_t frame_at = ((r.esp - size + 4) & ~15u) - 4;  // (esp+4) % 16 == 0 in the handler
    if (frame_at > r.esp) return false;  // the stack wrapped

    bool written;
    if (rt) {
        RtSigFrame32 frame{};
        frame.pretcode = action.restorer;
        frame.sig = signo;
        frame.pinfo = frame_at + offsetof(RtSigFrame32, info);
        frame.puc = frame_at + offsetof(RtSigFrame32, uc);
        int32_t info_head[5] = {signo, 0, code, int32_t(fault_address), 0};
        if (code == SI_USER || code == SI_TKILL) {
            info_head[3] = kSelf;  // si_pid
            info_head[4] = 1000;   // si_uid
        }
        std::memcpy(frame.info, info_head, sizeof info_head);
        frame.uc.stack_flags = SS_DISABLE;
        frame.uc.mcontext = save_context(fault_address);
        frame.uc.sigmask = signal_mask_;
        written = memory_.write(frame_at, &frame, sizeof frame);
        r.edx = frame.pinfo;
        r.ecx = frame.puc;
    } else {
        SigFrame32 frame{action.restorer, signo, save_context(fault_address), uint32_t(signal_mask_ >> 32)};
        written = memory_.write(frame_at, &frame, sizeof frame);
    }
    if (!written) return false;

    signal_mask_ |= action.mask | ((action.flags & kSaNodefer) ? 0 : bit(signo));
    signal_mask_ &= ~kUnblockable;
    if (action.flags & kSaResethand) signal_actions_[signo] = {};
    r.esp = frame_at;
    r.eip = action.handler;
    r.eax = uint32_t(signo);
    r.eflags &= ~(1u << 10);  // handlers start with DF clear
    return true;
}

int32_t LinuxProcess::sys_tgkill(const SyscallArgs& a) {
    if (int32_t(a.a[0]) != kSelf) return fail(ESRCH);
    return sys_kill({a.nr, {a.a[1], a.a[2], 0, 0, 0, 0}});
}

int32_t LinuxProcess::sys_rt_sigreturn(const SyscallArgs&) {
    // The handler returned into the restorer: the frame lies 4 bytes below esp.
    UContext32 uc;
    if (!memory_.read(sandbox_.registers().esp - 4 + offsetof(RtSigFrame32, uc), &uc, sizeof uc))
        return die_of_signal(SIGSEGV);
    restore_context(uc.mcontext, uc.sigmask);
    return int32_t(uc.mcontext.eax);  // becomes eax
}

int32_t LinuxProcess::sys_sigreturn(const SyscallArgs&) {
    // The restorer popped the return address and the signal number.
    SigFrame32 frame;
    if (!memory_.read(sandbox_.registers().esp - 8, &frame, sizeof frame)) return die_of_signal(SIGSEGV);
    restore_context(frame.sc, (uint64_t(frame.extramask) << 32) | frame.sc.oldmask);
    return int32_t(frame.sc.eax);
}

}  // namespace vx::os::linux_i386
