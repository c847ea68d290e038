#include "os/linux_i386/signal_state.h"

#include <csignal>

namespace vx::os::linux_i386 {
namespace {

constexpr uint64_t kUnblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

bool default_is_stop(int signo) {
    return signo == SIGSTOP || signo == SIGTSTP || signo == SIGTTIN || signo == SIGTTOU;
}

bool default_is_ignore(int signo) {
    return signo == SIGCHLD || signo == SIGURG || signo == SIGWINCH || signo == SIGCONT;
}

int lowest(uint64_t set) { return __builtin_ctzll(set) + 1; }

}  // namespace

bool SignalState::fixed(int signo) { return signo == SIGKILL || signo == SIGSTOP; }

bool SignalState::set_action(int signo, const KernelSigaction32& action) {
    if (fixed(signo)) return false;
    actions_[signo] = action;
    if (disposition(signo) == Disposition::Ignore) pending_ &= ~bit(signo);  // as Linux discards them
    return true;
}

SignalState::Disposition SignalState::disposition(int signo) const {
    uint32_t handler = actions_[signo].handler;
    if (handler == kIgnore) return Disposition::Ignore;
    if (handler == kDefault && default_is_stop(signo)) return Disposition::Stop;
    if (handler == kDefault) return default_is_ignore(signo) ? Disposition::Ignore : Disposition::Terminate;
    return Disposition::Handle;
}

void SignalState::set_mask(uint64_t mask) { mask_ = mask & ~kUnblockable; }

bool SignalState::change_mask(int how, uint64_t set) {
    switch (how) {
    case SIG_BLOCK: set_mask(mask_ | set); return true;
    case SIG_UNBLOCK: set_mask(mask_ & ~set); return true;
    case SIG_SETMASK: set_mask(set); return true;
    default: return false;
    }
}

void SignalState::post(int signo, int code, int32_t sender) {
    if (disposition(signo) == Disposition::Ignore) return;  // discarded, blocked or not
    pending_ |= bit(signo);
    pending_code_[signo] = code;
    pending_sender_[signo] = sender;
}

std::optional<SignalState::Signal> SignalState::take_deliverable() { return take_lowest(pending_ & ~mask_); }

std::optional<SignalState::Signal> SignalState::take_from(uint64_t set) {
    return take_lowest(pending_ & set & ~kUnblockable);
}

std::optional<SignalState::Signal> SignalState::take_lowest(uint64_t ready) {
    if (!ready) return std::nullopt;
    const int signo = lowest(ready);
    pending_ &= ~bit(signo);
    return Signal{signo, pending_code_[signo], pending_sender_[signo]};
}

void SignalState::suspend(uint64_t during) {
    saved_mask_ = mask_;
    set_mask(during);
}

void SignalState::end_suspend() {
    if (saved_mask_) set_mask(*saved_mask_);
    saved_mask_.reset();
}

bool SignalState::enter_handler(int signo) {
    const KernelSigaction32 action = actions_[signo];
    set_mask(mask_ | action.mask | ((action.flags & kSaNodefer) ? 0 : bit(signo)));
    saved_mask_.reset();  // saved in this handler's frame: later frames nest inside it
    if (!(action.flags & kSaResethand)) return false;
    actions_[signo] = {};
    return true;
}

uint64_t SignalState::reset_for_exec() {
    uint64_t changed = 0;
    for (int signo = 1; signo < int(kSignals); ++signo) {
        KernelSigaction32& action = actions_[signo];
        if (action.handler != kDefault && action.handler != kIgnore) {
            action = {};
            changed |= bit(signo);
        }
    }
    return changed;
}

}  // namespace vx::os::linux_i386
