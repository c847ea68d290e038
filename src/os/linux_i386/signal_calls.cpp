// Signals: dispositions and the mask as the guest sets them (and, for a
// process that owns its host process, mirrored there), signals from itself,
// from other guest processes and from its faults, delivered through an i386
// signal frame on its own stack, floating-point and vector state included;
// (rt_)sigreturn takes the frame back. Also sigaltstack and the timers.
#include <sys/time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <utility>

#include "vx/error.h"
#include "vx/sandbox.h"

#include "os/linux_i386/process.h"
#include "os/linux_i386/syscall_numbers.h"

namespace vx::os::linux_i386 {
namespace {

constexpr long kSignalSetBytes = 8;  // the kernel's sigset_t, i386's as the host's: the size the rt_sig* calls take
using Disposition = SignalState::Disposition;

uint64_t bit(int signo) { return SignalState::bit(signo); }

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

// What the host caught for the guest (own_host_process): one bit a signal,
// and who sent it. Set by the host handler, taken at the guest's next stop.
//
// These are the host process's, not a LinuxProcess's, because the host's
// signal dispositions are: sigaction installs one handler per signal for the
// whole host process, and a handler is told the signal, never which
// LinuxProcess it is for. So only one LinuxProcess at a time may own the host
// process (HostSignalClaim); only that one reads what was caught, and a
// second one that asks is refused when it is made.
std::atomic<bool> host_signals_claimed{false};
std::atomic<uint64_t> caught_by_host{0};
std::atomic<pid_t> caught_sender[kSignals];
std::atomic<int> caught_code[kSignals];
std::atomic<Sandbox*> caught_for{nullptr};  // the claim's: stopped when a signal is caught
std::atomic<bool> serving_call{false};      // ...unless its system call is being served

void on_host_signal(int signo, siginfo_t* info, void*) {
    const int saved_errno = errno;
    const bool from_a_process = info->si_code <= 0 || signo == SIGCHLD;
    caught_sender[signo].store(from_a_process ? info->si_pid : 0, std::memory_order_relaxed);
    caught_code[signo].store(info->si_code, std::memory_order_relaxed);
    caught_by_host.fetch_or(bit(signo), std::memory_order_release);
    // A guest spinning in its own code makes no system call to deliver at:
    // it is stopped (an Interrupted event, which delivers). interrupt()
    // signals the thread that runs it, but not this one, which is the
    // usual one (the host process has one thread running guests, and a
    // signal for the process goes to it): the interrupt signal, raised here
    // and blocked until this handler returns, stops the guest where this
    // signal found it.
    Sandbox* sandbox = caught_for.load(std::memory_order_acquire);
    if (sandbox && !serving_call.load(std::memory_order_acquire)) {
        sandbox->interrupt();
        raise(Sandbox::interrupt_signal().signo);
    }
    errno = saved_errno;
}

// The frame's floating-point area: the kernel's _fpstate_32, an fsave-style
// header and then an XSAVE image, with magic words saying so.
constexpr uint32_t kFsaveHeader = 112, kFpXstateMagic1 = 0x46505853, kFpXstateMagic2 = 0x46505845;

// Syscalls Linux never restarts after a handler, SA_RESTART or not.
bool restartable(int32_t number) {
    switch (uint32_t(number)) {
    case nr::pause: case nr::nanosleep: case nr::poll: case nr::rt_sigsuspend: case nr::clock_nanosleep:
    case nr::clock_nanosleep_time64:
        return false;
    default: return true;
    }
}

}  // namespace

LinuxProcess::HostSignalClaim::HostSignalClaim(bool claim, Sandbox& sandbox) {
    if (!claim) return;
    bool expected = false;
    if (!host_signals_claimed.compare_exchange_strong(expected, true))
        throw Error("another guest process owns this host process already (own_host_process): "
                    "its signal handlers can serve only one");
    held_ = true;
    caught_by_host.store(0);  // nothing an earlier owner left
    caught_for.store(&sandbox, std::memory_order_release);
}

LinuxProcess::HostSignalClaim::ServingCall::ServingCall(const HostSignalClaim& claim) : held_(claim.held_) {
    if (held_) serving_call.store(true, std::memory_order_release);
}

// (Cleared before what was caught meanwhile is delivered, after the call:
// one caught from now on stops the guest, for it is not delivered there.)
LinuxProcess::HostSignalClaim::ServingCall::~ServingCall() {
    if (held_) serving_call.store(false, std::memory_order_seq_cst);
}

LinuxProcess::HostSignalClaim::~HostSignalClaim() {
    if (!held_) return;
    caught_for.store(nullptr, std::memory_order_release);
    host_signals_claimed.store(false);
}

uint64_t LinuxProcess::caught_not_taken() const {
    return options_.own_host_process ? caught_by_host.load() : 0;
}

void LinuxProcess::mirror_disposition(int signo) {
    if (!options_.own_host_process || !is_mirrored(signo)) return;
    struct sigaction host{};
    uint32_t handler = signals_.action(signo).handler;
    // With RLIMIT_FSIZE set for the file-size limit, the kernel sends
    // SIGXFSZ at it: caught, not the default, so that it does not end the host process
    // before the limit is reported.
    const bool kernel_sends_it = signo == SIGXFSZ && options_.max_file_size;
    if (handler == SignalState::kDefault && !kernel_sends_it) host.sa_handler = SIG_DFL;
    else if (handler == SignalState::kIgnore) host.sa_handler = SIG_IGN;
    else {
        // No SA_RESTART: a blocking host call returns EINTR, and the
        // personality restarts it if the guest's handler asked for that.
        host.sa_sigaction = on_host_signal;
        host.sa_flags = SA_SIGINFO | SA_ONSTACK;
    }
    sigfillset(&host.sa_mask);
    sigaction(signo, &host, nullptr);
}

void LinuxProcess::mirror_mask() {
    if (!options_.own_host_process) return;
    sigset_t blocked, unblocked;
    sigemptyset(&blocked);
    sigemptyset(&unblocked);
    for (int signo = 1; signo < int(kSignals); ++signo)
        if (is_mirrored(signo)) sigaddset(signals_.blocked(signo) ? &blocked : &unblocked, signo);
    sigprocmask(SIG_BLOCK, &blocked, nullptr);
    sigprocmask(SIG_UNBLOCK, &unblocked, nullptr);
}

int32_t LinuxProcess::sys_rt_sigaction(const SyscallArgs& a) {
    const uint32_t signo = a.a[0], action = a.a[1], old_action_out = a.a[2], set_size = a.a[3];
    if (signo == 0 || signo >= kSignals || set_size != kSignalSetBytes) return fail(EINVAL);
    if (old_action_out) {
        const KernelSigaction32& old = signals_.action(int(signo));
        if (!memory_.write(old_action_out, &old, sizeof old)) return fail(EFAULT);
    }
    if (action) {
        if (SignalState::fixed(int(signo))) return fail(EINVAL);
        KernelSigaction32 act;
        if (!memory_.read(action, &act, sizeof act)) return fail(EFAULT);
        signals_.set_action(int(signo), act);
        mirror_disposition(int(signo));
    }
    return 0;
}

int32_t LinuxProcess::sys_rt_sigprocmask(const SyscallArgs& a) {
    const uint32_t how = a.a[0], set_address = a.a[1], old_set_out = a.a[2], set_size = a.a[3];
    if (set_size != kSignalSetBytes) return fail(EINVAL);
    const uint64_t old = signals_.mask();
    if (old_set_out && !memory_.write(old_set_out, &old, sizeof old)) return fail(EFAULT);
    if (!set_address) return 0;
    uint64_t set;
    if (!memory_.read(set_address, &set, sizeof set)) return fail(EFAULT);
    if (!signals_.change_mask(int(how), set)) return fail(EINVAL);
    mirror_mask();
    return 0;
}

int32_t LinuxProcess::sys_rt_sigpending(const SyscallArgs& a) {
    const uint32_t set_out = a.a[0], set_size = a.a[1];
    if (set_size != kSignalSetBytes) return fail(EINVAL);
    uint64_t pending = (signals_.pending() | caught_not_taken()) & signals_.mask();
    return memory_.write(set_out, &pending, sizeof pending) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::sys_rt_sigsuspend(const SyscallArgs& a) {
    const uint32_t mask_address = a.a[0], set_size = a.a[1];
    if (set_size != kSignalSetBytes) return fail(EINVAL);
    uint64_t during;
    if (!memory_.read(mask_address, &during, sizeof during)) return fail(EFAULT);
    return suspend_until_signal(during);
}

int32_t LinuxProcess::suspend_until_signal(uint64_t during) {
    signals_.suspend(during);
    mirror_mask();
    if (!options_.own_host_process) return fail(EINTR);  // nothing can arrive: do not wait forever
    // Until a signal the guest handles arrives (pending already, sent to
    // itself, or caught by the host while waiting). The mirrored signals are
    // blocked between the check and sigsuspend, which unblocks them
    // atomically: one arriving in between is not missed.
    sigset_t wait_mask, mirrored;
    sigprocmask(SIG_SETMASK, nullptr, &wait_mask);
    sigemptyset(&mirrored);
    for (int signo = 1; signo < int(kSignals); ++signo)
        if (is_mirrored(signo)) sigaddset(&mirrored, signo);
    sigprocmask(SIG_BLOCK, &mirrored, nullptr);
    while (!signals_.deliverable(caught_not_taken())) {
        blocking(SYS_rt_sigsuspend, &wait_mask, kSignalSetBytes);
        if (stopped_in_host_call_) {  // suspended again when made again: the mask is the guest's until then
            sigprocmask(SIG_SETMASK, &wait_mask, nullptr);
            signals_.end_suspend();
            mirror_mask();
            return fail(EINTR);
        }
    }
    sigprocmask(SIG_SETMASK, &wait_mask, nullptr);
    return fail(EINTR);  // the handler runs with this mask; sigreturn restores the saved one
}

int32_t LinuxProcess::sys_rt_sigtimedwait(const SyscallArgs& a) { return wait_for_signal(a, false); }
int32_t LinuxProcess::sys_rt_sigtimedwait64(const SyscallArgs& a) { return wait_for_signal(a, true); }

int32_t LinuxProcess::wait_for_signal(const SyscallArgs& a, bool time64) {
    const uint32_t set_address = a.a[0], info_out = a.a[1], timeout_address = a.a[2], set_size = a.a[3];
    if (set_size != kSignalSetBytes) return fail(EINVAL);
    uint64_t set;
    if (!memory_.read(set_address, &set, sizeof set)) return fail(EFAULT);
    struct timespec timeout, *timeout_ptr = nullptr;
    if (timeout_address) {
        int64_t sec, nsec;
        if (time64) {
            Timespec64 t;
            if (!memory_.read(timeout_address, &t, sizeof t)) return fail(EFAULT);
            sec = t.sec, nsec = t.nsec;
        } else {
            Timespec32 t;
            if (!memory_.read(timeout_address, &t, sizeof t)) return fail(EFAULT);
            sec = t.sec, nsec = t.nsec;
        }
        if (sec < 0 || nsec < 0 || nsec >= 1000000000) return fail(EINVAL);
        timeout = {time_t(sec), long(nsec)};
        timeout_ptr = &timeout;
    }
    auto taken = [&](int signo, int code, int32_t sender) -> int32_t {
        if (info_out) {
            uint8_t info[128] = {};  // the i386 siginfo: signo, errno, code, pid, uid
            const int32_t head[5] = {signo, 0, code, sender, sender ? int32_t(kGuestUid) : 0};
            std::memcpy(info, head, sizeof head);
            if (!memory_.write(info_out, info, sizeof info)) return fail(EFAULT);
        }
        return signo;
    };
    take_caught_signals();
    if (std::optional<SignalState::Signal> ready = signals_.take_from(set))
        return taken(ready->signo, ready->code, ready->sender);
    if (!options_.own_host_process) return fail(EAGAIN);  // nothing can arrive: do not wait forever
    // The set's signals the host sees for the guest, taken there as they come.
    sigset_t host_set;
    sigemptyset(&host_set);
    for (int signo = 1; signo < int(kSignals); ++signo)
        if ((set & bit(signo)) && is_mirrored(signo)) sigaddset(&host_set, signo);
    siginfo_t info{};
    long signo = blocking(SYS_rt_sigtimedwait, &host_set, &info, timeout_ptr, kSignalSetBytes);
    if (signo < 0) return fail(errno);  // EAGAIN at the timeout; EINTR for a handled signal or a stop
    const bool from_a_process = info.si_code <= 0 || signo == SIGCHLD;
    return taken(int(signo), info.si_code, from_a_process ? tree_->guest_pid(info.si_pid) : 0);
}

int32_t LinuxProcess::sys_pause(const SyscallArgs&) {
    return suspend_until_signal(signals_.mask());
}

bool LinuxProcess::on_alternate_stack(uint32_t sp) const {
    return alternate_stack_.size && sp - alternate_stack_.sp < alternate_stack_.size;
}

int32_t LinuxProcess::sys_sigaltstack(const SyscallArgs& a) {
    const uint32_t stack_address = a.a[0], old_stack_out = a.a[1];
    constexpr int32_t kMinSize = 2048;  // i386's MINSIGSTKSZ
    const bool on_it = on_alternate_stack(sandbox_.registers().esp);
    if (old_stack_out) {
        StackT32 old = alternate_stack_;
        old.flags = on_it ? SS_ONSTACK : old.size ? 0 : SS_DISABLE;
        if (!memory_.write(old_stack_out, &old, sizeof old)) return fail(EFAULT);
    }
    if (!stack_address) return 0;
    StackT32 next;
    if (!memory_.read(stack_address, &next, sizeof next)) return fail(EFAULT);
    if (on_it) return fail(EPERM);
    if (next.flags & ~SS_DISABLE) return fail(EINVAL);
    if (next.flags & SS_DISABLE) {
        alternate_stack_ = {};
        return 0;
    }
    if (next.size < uint32_t(kMinSize)) return fail(ENOMEM);
    if (uint64_t(next.sp) + next.size > memory_.size()) return fail(EFAULT);
    alternate_stack_ = {next.sp, 0, next.size};
    return 0;
}

// The interval timers count for the host process that is this guest; their
// signals are mirrored ones, so they reach the guest as any other.
int32_t LinuxProcess::sys_alarm(const SyscallArgs& a) {
    const uint32_t seconds = a.a[0];
    if (!options_.own_host_process) return fail(ENOSYS);
    return int32_t(::alarm(seconds));
}

namespace {
struct Itimerval32 { Timeval32 interval, value; };
Itimerval32 to_guest(const itimerval& t) {
    return {{int32_t(t.it_interval.tv_sec), int32_t(t.it_interval.tv_usec)},
            {int32_t(t.it_value.tv_sec), int32_t(t.it_value.tv_usec)}};
}
}  // namespace

int32_t LinuxProcess::sys_setitimer(const SyscallArgs& a) {
    const uint32_t which = a.a[0], value_address = a.a[1], old_value_out = a.a[2];
    if (!options_.own_host_process) return fail(ENOSYS);
    if (which > ITIMER_PROF) return fail(EINVAL);
    Itimerval32 next;
    if (!memory_.read(value_address, &next, sizeof next)) return fail(EFAULT);
    if (next.value.usec < 0 || next.value.usec >= 1000000 || next.interval.usec < 0 || next.interval.usec >= 1000000)
        return fail(EINVAL);
    if (old_value_out && !memory_.accessible(old_value_out, sizeof(Itimerval32), kWrite)) return fail(EFAULT);
    itimerval host{{next.interval.sec, next.interval.usec}, {next.value.sec, next.value.usec}}, old;
    if (::setitimer(__itimer_which(which), &host, &old) != 0) return fail(errno);
    Itimerval32 out = to_guest(old);
    if (old_value_out) memory_.write(old_value_out, &out, sizeof out);
    return 0;
}

int32_t LinuxProcess::sys_getitimer(const SyscallArgs& a) {
    const uint32_t which = a.a[0], value_out = a.a[1];
    if (which > ITIMER_PROF) return fail(EINVAL);
    itimerval now{};
    if (options_.own_host_process && ::getitimer(__itimer_which(which), &now) != 0) return fail(errno);
    Itimerval32 out = to_guest(now);
    return memory_.write(value_out, &out, sizeof out) ? 0 : fail(EFAULT);
}

int32_t LinuxProcess::die_of_signal(int signo) {
    killed_by_ = signo;
    sandbox_.finish(128 + signo);
    return 0;
}

void LinuxProcess::forget_pending_signals() {
    signals_.forget_pending();
    if (options_.own_host_process) caught_by_host.store(0);
}

void LinuxProcess::take_caught_signals() {
    if (!options_.own_host_process) return;  // another's, if any
    if (uint64_t caught = caught_by_host.exchange(0, std::memory_order_acquire)) {
        for (int signo = 1; signo < int(kSignals); ++signo)
            if (caught & bit(signo))
                signals_.post(signo, caught_code[signo].load(), tree_->guest_pid(caught_sender[signo].load()));
    }
}

void LinuxProcess::deliver_pending_signals(int32_t interrupted_nr) {
    take_caught_signals();
    bool restarted = false;
    while (std::optional<SignalState::Signal> next = signals_.take_deliverable()) {
        const int signo = next->signo;
        switch (signals_.disposition(signo)) {
        case Disposition::Ignore: continue;
        case Disposition::Stop:
            // The host process is the guest's: it stops, and goes on when
            // continued (its parent's wait with WUNTRACED sees it stopped).
            if (options_.own_host_process) raise(signo);
            continue;
        case Disposition::Terminate: die_of_signal(signo); return;
        case Disposition::Handle: break;
        }
        if (interrupted_nr >= 0 && !restarted) {
            restarted = true;  // the interrupted call goes on after the handler, if it asked for that
            Registers& r = sandbox_.registers();
            if ((signals_.action(signo).flags & kSaRestart) && restartable(interrupted_nr)) {
                r.eax = uint32_t(interrupted_nr);
                r.eip -= 2;  // back to the int $0x80
            }
        }
        if (!deliver_signal(signo, next->code, next->sender, 0)) {
            die_of_signal(SIGSEGV);  // as Linux does when the frame cannot be written
            return;
        }
    }
    signals_.forget_suspend();
}

int32_t LinuxProcess::sys_kill(const SyscallArgs& a) {  // kill and tkill
    const int32_t pid = int32_t(a.a[0]);
    const uint32_t signo = a.a[1];
    return send_signal(pid, signo, a.nr != nr::kill);
}

int32_t LinuxProcess::send_signal(int32_t pid, uint32_t signo, bool to_one_thread) {
    if (signo >= kSignals || int(signo) == unsendable_signal()) return fail(EINVAL);
    if (to_one_thread && pid <= 0) return fail(EINVAL);
    bool to_self = pid == tree_->self() || pid == 0 || (pid < -1 && -pid == tree_->group_of(tree_->self()));
    int32_t others = pid == tree_->self() ? -ESRCH : signal_others(pid, int(signo));
    if (!to_self) return others;
    if (signo != 0) signals_.post(int(signo), to_one_thread ? SI_TKILL : SI_USER, tree_->self());
    return 0;
}

int32_t LinuxProcess::signal_others(int32_t pid, int signo) {
    const int32_t self = tree_->self();
    const int32_t my_group = tree_->group_of(self);
    int32_t result = -ESRCH;
    tree_->for_each([&](int32_t member) {
        if (member == self) return;
        bool chosen = pid > 0 ? member == pid
                    : pid == 0 ? tree_->group_of(member) == my_group
                    : pid == -1 ? member != 1  // as in a pid namespace: all but its init
                    : tree_->group_of(member) == -pid;
        if (!chosen) return;
        int32_t sent = tree_->signal(member, signo);
        if (sent == 0 || result != 0) result = sent;
    });
    return result;
}

bool LinuxProcess::deliver_fault(const Fault& fault) {
    int signo = signal_for(fault.kind);
    // As the kernel does, a fault that is blocked or ignored kills.
    if (signals_.blocked(signo) || signals_.disposition(signo) != Disposition::Handle) return false;
    return deliver_signal(signo, code_for(fault, signo, memory_), 0, fault.address.value_or(0));
}

SigContext32 LinuxProcess::save_context(uint32_t fault_address) const {
    const Registers& r = sandbox_.registers();
    SigContext32 c{};
    c.edi = r.edi; c.esi = r.esi; c.ebp = r.ebp; c.esp = r.esp; c.ebx = r.ebx;
    c.edx = r.edx; c.ecx = r.ecx; c.eax = r.eax; c.eip = r.eip; c.eflags = r.eflags;
    c.esp_at_signal = r.esp;
    c.cs = kUserSelectors.code;
    c.ds = c.es = c.ss = kUserSelectors.data;
    c.gs = sandbox_.segment(SegmentRegister::gs).selector;
    c.fs = sandbox_.segment(SegmentRegister::fs).selector;
    c.cr2 = fault_address;
    c.oldmask = uint32_t(signals_.saved_mask());
    return c;
}

void LinuxProcess::restore_context(const SigContext32& c, uint64_t mask) {
    Registers& r = sandbox_.registers();
    r.edi = c.edi; r.esi = c.esi; r.ebp = c.ebp; r.esp = c.esp; r.ebx = c.ebx;
    r.edx = c.edx; r.ecx = c.ecx; r.eip = c.eip;
    r.eflags = sanitize_eflags(c.eflags);
    // As the kernel does (reload_segments): %gs and %fs are loaded from the
    // frame, with RPL 3, where that is not what they hold.
    for (auto [segment, selector] : {std::pair{SegmentRegister::gs, c.gs}, std::pair{SegmentRegister::fs, c.fs}})
        if (uint16_t(selector | 3) != sandbox_.segment(segment).selector) load_segment_or_null(segment, selector | 3);
    signals_.set_mask(mask);
    mirror_mask();
}

uint32_t LinuxProcess::push_fpstate(uint32_t sp) {
    std::vector<uint8_t> xsave = sandbox_.extended_state();
    const uint32_t size = kFsaveHeader + uint32_t(xsave.size()) + 4;
    const uint32_t at = (sp - size) & ~63u;
    if (at > sp) return 0;  // the stack wrapped

    // The software-reserved words of the FXSAVE area say what follows it.
    uint32_t sw_bytes[5] = {kFpXstateMagic1, uint32_t(xsave.size()) + 4, 0, 0, uint32_t(xsave.size())};
    std::memcpy(sw_bytes + 2, xsave.data() + 512, 8);  // the components present
    std::memcpy(xsave.data() + 464, sw_bytes, sizeof sw_bytes);

    // The old fsave layout first, for programs that read it: control,
    // status and tag words, the last instruction and operand, the 8 registers.
    uint8_t header[kFsaveHeader] = {};
    auto put32 = [&](size_t at_, uint32_t v) { std::memcpy(header + at_, &v, 4); };
    uint16_t fcw, fsw, fop, fcs, fds;
    uint8_t ftw_abridged;
    uint32_t fip, fdp;
    std::memcpy(&fcw, xsave.data() + 0, 2);
    std::memcpy(&fsw, xsave.data() + 2, 2);
    std::memcpy(&ftw_abridged, xsave.data() + 4, 1);
    std::memcpy(&fop, xsave.data() + 6, 2);
    std::memcpy(&fip, xsave.data() + 8, 4);
    std::memcpy(&fcs, xsave.data() + 12, 2);
    std::memcpy(&fdp, xsave.data() + 16, 4);
    std::memcpy(&fds, xsave.data() + 20, 2);
    uint32_t tag = 0;
    for (int i = 0; i < 8; ++i)
        if (!(ftw_abridged & (1 << i))) tag |= 3u << (2 * i);  // empty; a used one reads as valid
    put32(0, 0xffff0000u | fcw);
    put32(4, 0xffff0000u | fsw);
    put32(8, 0xffff0000u | tag);
    put32(12, fip);
    put32(16, fcs | (uint32_t(fop & 0x7ff) << 16));
    put32(20, fdp);
    put32(24, 0xffff0000u | fds);
    for (int i = 0; i < 8; ++i) std::memcpy(header + 28 + 10 * i, xsave.data() + 32 + 16 * i, 10);
    std::memcpy(header + 108, &fsw, 2);  // status; the magic after it, 0, says FXSR state follows

    uint32_t magic2 = kFpXstateMagic2;
    if (!memory_.write(at, header, sizeof header) || !memory_.write(at + kFsaveHeader, xsave.data(), xsave.size()) ||
        !memory_.write(at + kFsaveHeader + uint32_t(xsave.size()), &magic2, 4))
        return 0;
    return at;
}

bool LinuxProcess::restore_fpstate(uint32_t fpstate) {
    std::vector<uint8_t> xsave = sandbox_.extended_state();
    if (fpstate == 0) {  // the handler's frame says none: the initial state, as Linux does
        std::fill(xsave.begin(), xsave.end(), 0);
        uint32_t mxcsr = 0x1f80;
        uint16_t fcw = 0x37f;
        std::memcpy(xsave.data() + 24, &mxcsr, 4);
        std::memcpy(xsave.data(), &fcw, 2);
        return sandbox_.set_extended_state(xsave);
    }
    return memory_.read(fpstate + kFsaveHeader, xsave.data(), xsave.size()) && sandbox_.set_extended_state(xsave);
}

bool LinuxProcess::deliver_signal(int signo, int code, int32_t sender, uint32_t fault_address) {
    const KernelSigaction32 action = signals_.action(signo);
    if (!(action.flags & kSaRestorer)) return false;  // no vDSO to return through
    Registers& r = sandbox_.registers();
    const bool rt = action.flags & kSaSiginfo;
    const uint32_t size = rt ? uint32_t(sizeof(RtSigFrame32)) : uint32_t(sizeof(SigFrame32));
    constexpr uint32_t kSaOnstack = 0x08000000;
    const bool to_alternate = (action.flags & kSaOnstack) && alternate_stack_.size && !on_alternate_stack(r.esp);
    const uint32_t fpstate = push_fpstate(to_alternate ? alternate_stack_.sp + alternate_stack_.size : r.esp);
    if (fpstate == 0) return false;
    uint32_t frame_at = ((fpstate - size + 4) & ~15u) - 4;  // (esp+4) % 16 == 0 in the handler
    if (frame_at > fpstate) return false;  // the stack wrapped

    bool written;
    if (rt) {
        RtSigFrame32 frame{};
        frame.pretcode = action.restorer;
        frame.sig = signo;
        frame.pinfo = frame_at + offsetof(RtSigFrame32, info);
        frame.puc = frame_at + offsetof(RtSigFrame32, uc);
        int32_t info_head[5] = {signo, 0, code, int32_t(fault_address), 0};
        if (code == SI_USER || code == SI_TKILL || signo == SIGCHLD) {
            info_head[3] = sender;                  // si_pid
            info_head[4] = int32_t(kGuestUid);      // si_uid
        }
        std::memcpy(frame.info, info_head, sizeof info_head);
        frame.uc.flags = 1;  // UC_FP_XSTATE: fpstate holds an XSAVE image
        frame.uc.stack_sp = alternate_stack_.sp;
        frame.uc.stack_size = alternate_stack_.size;
        frame.uc.stack_flags = !alternate_stack_.size ? SS_DISABLE : on_alternate_stack(r.esp) ? SS_ONSTACK : 0;
        frame.uc.mcontext = save_context(fault_address);
        frame.uc.mcontext.fpstate = fpstate;
        frame.uc.sigmask = signals_.saved_mask();
        written = memory_.write(frame_at, &frame, sizeof frame);
        r.edx = frame.pinfo;
        r.ecx = frame.puc;
    } else {
        SigFrame32 frame{action.restorer, signo, save_context(fault_address),
                         uint32_t(signals_.saved_mask() >> 32)};
        frame.sc.fpstate = fpstate;
        written = memory_.write(frame_at, &frame, sizeof frame);
    }
    if (!written) return false;

    const bool reset = signals_.enter_handler(signo);
    mirror_mask();
    if (reset) mirror_disposition(signo);
    r.esp = frame_at;
    r.eip = action.handler;
    r.eax = uint32_t(signo);
    r.eflags &= ~(1u << 10);  // handlers start with DF clear
    return true;
}

int32_t LinuxProcess::sys_tgkill(const SyscallArgs& a) {  // one thread a process: tgid == tid
    const int32_t tgid = int32_t(a.a[0]), tid = int32_t(a.a[1]);
    const uint32_t signo = a.a[2];
    if (tgid <= 0 || tgid != tid) return fail(tgid <= 0 ? EINVAL : ESRCH);
    return send_signal(tid, signo, true);
}

int32_t LinuxProcess::sys_rt_sigreturn(const SyscallArgs&) {
    // The handler returned into the restorer: the frame lies 4 bytes below esp.
    UContext32 uc;
    if (!memory_.read(sandbox_.registers().esp - 4 + offsetof(RtSigFrame32, uc), &uc, sizeof uc))
        return die_of_signal(SIGSEGV);
    if (!restore_fpstate(uc.mcontext.fpstate)) return die_of_signal(SIGSEGV);
    restore_context(uc.mcontext, uc.sigmask);
    return int32_t(uc.mcontext.eax);  // becomes eax
}

int32_t LinuxProcess::sys_sigreturn(const SyscallArgs&) {
    // The restorer popped the return address and the signal number.
    SigFrame32 frame;
    if (!memory_.read(sandbox_.registers().esp - 8, &frame, sizeof frame)) return die_of_signal(SIGSEGV);
    if (!restore_fpstate(frame.sc.fpstate)) return die_of_signal(SIGSEGV);
    restore_context(frame.sc, (uint64_t(frame.extramask) << 32) | frame.sc.oldmask);
    return int32_t(frame.sc.eax);
}

}  // namespace vx::os::linux_i386
