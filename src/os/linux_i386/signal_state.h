#pragma once
// A guest process's signals as Linux keeps them: the dispositions the guest
// set, its mask, the signals waiting with who sent them, and the mask a
// sigsuspend saved. Only the rules live here (what is pending and
// deliverable, in which order; what SIG_IGN discards; what execve resets;
// what a fork child keeps); what the host does about them (its own
// dispositions and mask mirroring the guest's, signal frames on the guest's
// stack) is LinuxProcess's.
#include <cstdint>
#include <optional>

#include "os/linux_i386/abi.h"

namespace vx::os::linux_i386 {

class SignalState {
public:
    // sa_handler's two values that are no handler.
    static constexpr uint32_t kDefault = 0, kIgnore = 1;
    enum class Disposition { Ignore, Stop, Terminate, Handle };

    static uint64_t bit(int signo) { return 1ull << (signo - 1); }
    // SIGKILL and SIGSTOP: never blocked, never caught or ignored.
    static bool fixed(int signo);

    const KernelSigaction32& action(int signo) const { return actions_[signo]; }
    // sigaction: false for a fixed signal. A signal now ignored (SIG_IGN, or
    // the default of one whose default is to ignore) is discarded if pending.
    bool set_action(int signo, const KernelSigaction32& action);
    Disposition disposition(int signo) const;

    uint64_t mask() const { return mask_; }
    bool blocked(int signo) const { return mask_ & bit(signo); }
    // The mask the guest asks for; the fixed signals are never in it.
    void set_mask(uint64_t mask);
    // sigprocmask: SIG_BLOCK, SIG_UNBLOCK or SIG_SETMASK `set`; false for another `how`.
    bool change_mask(int how, uint64_t set);

    // A signal for this process: pending from now on, unless it is ignored
    // (then it is discarded, blocked or not). A standard signal pending
    // already is one signal: the latest code and sender are kept.
    void post(int signo, int code, int32_t sender);
    uint64_t pending() const { return pending_; }
    struct Signal {
        int signo;
        int code;        // si_code
        int32_t sender;  // the guest pid that sent it, or 0
    };
    // The next signal to deliver (pending and not blocked, lowest number
    // first), taken off the pending set; none when there is none.
    std::optional<Signal> take_deliverable();
    // rt_sigtimedwait: the lowest pending signal of `set`, blocked or not
    // (the fixed ones are never taken so).
    std::optional<Signal> take_from(uint64_t set);
    // Whether a signal would be delivered now, counting `also_pending`
    // (signals the host caught and has not posted yet).
    bool deliverable(uint64_t also_pending = 0) const { return (pending_ | also_pending) & ~mask_; }

    // sigsuspend: the mask becomes `during` until a handler runs; the frame
    // of that handler records the mask from before (saved_mask), which its
    // sigreturn restores.
    void suspend(uint64_t during);
    // A sigsuspend that ends without a handler (the call is made again): the
    // mask from before comes back.
    void end_suspend();
    // Forgotten once signals were delivered, whether a handler ran or not.
    void forget_suspend() { saved_mask_.reset(); }
    // What a signal frame records as the mask to restore.
    uint64_t saved_mask() const { return saved_mask_.value_or(mask_); }
    // A handler for `signo` is entered (its frame holds saved_mask()): the
    // mask adds the action's and the signal itself (unless SA_NODEFER), and a
    // one-shot action (SA_RESETHAND) goes back to the default. True when it did.
    bool enter_handler(int signo);

    // execve: handlers are gone (the default again); what was ignored stays
    // ignored, and the mask and pending signals are kept. The signals whose
    // action changed, one bit each.
    uint64_t reset_for_exec();
    // A fork's child keeps the actions and the mask, but nothing pending.
    void forget_pending() { pending_ = 0; }

private:
    std::optional<Signal> take_lowest(uint64_t ready);

    KernelSigaction32 actions_[kSignals] = {};
    uint64_t mask_ = 0;
    uint64_t pending_ = 0;
    int pending_code_[kSignals] = {};
    int32_t pending_sender_[kSignals] = {};
    std::optional<uint64_t> saved_mask_;  // set by sigsuspend
};

}  // namespace vx::os::linux_i386
