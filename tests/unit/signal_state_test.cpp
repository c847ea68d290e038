// A guest process's signals (signal_state.h): Linux's rules for what is
// pending and deliverable and in which order, what SIG_IGN discards, what
// sigsuspend and a handler do to the mask, what execve resets and what a
// fork's child keeps.
#include <gtest/gtest.h>

#include <csignal>

#include "os/linux_i386/signal_state.h"

namespace {

using vx::os::linux_i386::KernelSigaction32;
using vx::os::linux_i386::SignalState;
using Disposition = SignalState::Disposition;

constexpr uint32_t kHandler = 0x8049000, kRestorer = 0x8049100;

uint64_t bit(int signo) { return SignalState::bit(signo); }

KernelSigaction32 handled(uint32_t flags = vx::os::linux_i386::kSaRestorer, uint64_t mask = 0) {
    return {kHandler, flags, kRestorer, mask};
}
KernelSigaction32 ignored() { return {SignalState::kIgnore, 0, 0, 0}; }
KernelSigaction32 by_default() { return {SignalState::kDefault, 0, 0, 0}; }

TEST(SignalState, DefaultDispositionsAreLinuxs) {
    SignalState s;
    EXPECT_EQ(s.disposition(SIGTERM), Disposition::Terminate);
    EXPECT_EQ(s.disposition(SIGSEGV), Disposition::Terminate);
    EXPECT_EQ(s.disposition(SIGCHLD), Disposition::Ignore);
    EXPECT_EQ(s.disposition(SIGWINCH), Disposition::Ignore);
    EXPECT_EQ(s.disposition(SIGTSTP), Disposition::Stop);
    EXPECT_EQ(s.disposition(SIGSTOP), Disposition::Stop);
    ASSERT_TRUE(s.set_action(SIGTERM, handled()));
    EXPECT_EQ(s.disposition(SIGTERM), Disposition::Handle);
    ASSERT_TRUE(s.set_action(SIGTSTP, ignored()));
    EXPECT_EQ(s.disposition(SIGTSTP), Disposition::Ignore);
}

TEST(SignalState, KillAndStopCannotBeCaughtIgnoredOrBlocked) {
    SignalState s;
    EXPECT_FALSE(s.set_action(SIGKILL, ignored()));
    EXPECT_FALSE(s.set_action(SIGSTOP, handled()));
    EXPECT_EQ(s.disposition(SIGKILL), Disposition::Terminate);
    s.set_mask(~uint64_t(0));
    EXPECT_FALSE(s.blocked(SIGKILL));
    EXPECT_FALSE(s.blocked(SIGSTOP));
    EXPECT_TRUE(s.blocked(SIGTERM));
    ASSERT_TRUE(s.change_mask(SIG_SETMASK, bit(SIGKILL) | bit(SIGUSR1)));
    EXPECT_EQ(s.mask(), bit(SIGUSR1));
    s.suspend(~uint64_t(0));
    EXPECT_FALSE(s.blocked(SIGKILL));
}

TEST(SignalState, SigprocmaskBlocksUnblocksAndSets) {
    SignalState s;
    ASSERT_TRUE(s.change_mask(SIG_BLOCK, bit(SIGUSR1) | bit(SIGUSR2)));
    ASSERT_TRUE(s.change_mask(SIG_UNBLOCK, bit(SIGUSR1)));
    EXPECT_EQ(s.mask(), bit(SIGUSR2));
    ASSERT_TRUE(s.change_mask(SIG_SETMASK, bit(SIGINT)));
    EXPECT_EQ(s.mask(), bit(SIGINT));
    EXPECT_FALSE(s.change_mask(3, bit(SIGTERM)));  // no such `how`: nothing changes
    EXPECT_EQ(s.mask(), bit(SIGINT));
}

TEST(SignalState, DeliversTheLowestUnblockedPendingFirst) {
    SignalState s;
    for (int signo : {SIGUSR2, SIGTERM, SIGUSR1, SIGINT}) ASSERT_TRUE(s.set_action(signo, handled()));
    s.post(SIGUSR2, SI_USER, 7);
    s.post(SIGTERM, SI_TKILL, 3);
    s.post(SIGINT, SI_USER, 0);
    s.set_mask(bit(SIGINT));
    EXPECT_TRUE(s.deliverable());
    auto first = s.take_deliverable();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->signo, SIGUSR2);  // 12 before 15; SIGINT (2) is blocked
    EXPECT_EQ(first->code, SI_USER);
    EXPECT_EQ(first->sender, 7);
    auto second = s.take_deliverable();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->signo, SIGTERM);
    EXPECT_EQ(second->code, SI_TKILL);
    EXPECT_EQ(second->sender, 3);
    EXPECT_FALSE(s.take_deliverable());  // SIGINT waits while blocked
    EXPECT_FALSE(s.deliverable());
    EXPECT_EQ(s.pending(), bit(SIGINT));
    EXPECT_TRUE(s.deliverable(bit(SIGUSR1)));  // one the host caught counts
    s.set_mask(0);
    auto third = s.take_deliverable();
    ASSERT_TRUE(third);
    EXPECT_EQ(third->signo, SIGINT);
    EXPECT_EQ(s.pending(), 0u);
}

TEST(SignalState, AStandardSignalPendingTwiceIsOne) {
    SignalState s;
    s.set_mask(bit(SIGUSR1));
    s.post(SIGUSR1, SI_USER, 2);
    s.post(SIGUSR1, SI_USER, 2);
    s.set_mask(0);
    EXPECT_TRUE(s.take_deliverable());
    EXPECT_FALSE(s.take_deliverable());
}

TEST(SignalState, IgnoredSignalsAreDiscarded) {
    SignalState s;
    // Posted while ignored: never pending, blocked or not.
    ASSERT_TRUE(s.set_action(SIGUSR1, ignored()));
    s.set_mask(bit(SIGUSR1));
    s.post(SIGUSR1, SI_USER, 1);
    EXPECT_EQ(s.pending(), 0u);
    s.post(SIGCHLD, SI_USER, 1);  // ignored by default
    EXPECT_EQ(s.pending(), 0u);
    // Pending (blocked) and then ignored: discarded.
    ASSERT_TRUE(s.set_action(SIGUSR2, handled()));
    s.set_mask(bit(SIGUSR2));
    s.post(SIGUSR2, SI_USER, 1);
    EXPECT_EQ(s.pending(), bit(SIGUSR2));
    ASSERT_TRUE(s.set_action(SIGUSR2, ignored()));
    EXPECT_EQ(s.pending(), 0u);
    // Set back to a default that ignores: discarded too.
    ASSERT_TRUE(s.set_action(SIGWINCH, handled()));
    s.set_mask(bit(SIGWINCH));
    s.post(SIGWINCH, SI_USER, 1);
    ASSERT_TRUE(s.set_action(SIGWINCH, by_default()));
    EXPECT_EQ(s.pending(), 0u);
    // A default that terminates keeps it pending.
    s.set_mask(bit(SIGTERM));
    s.post(SIGTERM, SI_USER, 1);
    ASSERT_TRUE(s.set_action(SIGTERM, by_default()));
    EXPECT_EQ(s.pending(), bit(SIGTERM));
}

TEST(SignalState, SigtimedwaitTakesFromItsSetBlockedOrNot) {
    SignalState s;
    s.set_mask(bit(SIGUSR1) | bit(SIGUSR2));
    s.post(SIGUSR2, SI_USER, 4);
    s.post(SIGUSR1, SI_TKILL, 5);
    s.post(SIGKILL, SI_USER, 5);
    EXPECT_FALSE(s.take_from(bit(SIGTERM)));
    auto taken = s.take_from(bit(SIGUSR2) | bit(SIGKILL));
    ASSERT_TRUE(taken);
    EXPECT_EQ(taken->signo, SIGUSR2);  // never SIGKILL
    EXPECT_EQ(taken->sender, 4);
    EXPECT_FALSE(s.take_from(bit(SIGKILL)));
    EXPECT_EQ(s.pending(), bit(SIGUSR1) | bit(SIGKILL));
}

TEST(SignalState, AHandlerBlocksItsSignalAndItsMask) {
    using vx::os::linux_i386::kSaNodefer;
    using vx::os::linux_i386::kSaResethand;
    using vx::os::linux_i386::kSaRestorer;
    SignalState s;
    ASSERT_TRUE(s.set_action(SIGUSR1, handled(kSaRestorer, bit(SIGUSR2) | bit(SIGKILL))));
    EXPECT_FALSE(s.enter_handler(SIGUSR1));
    EXPECT_EQ(s.mask(), bit(SIGUSR1) | bit(SIGUSR2));
    s.set_mask(0);
    ASSERT_TRUE(s.set_action(SIGTERM, handled(kSaRestorer | kSaNodefer | kSaResethand)));
    EXPECT_TRUE(s.enter_handler(SIGTERM));  // one-shot: back to the default
    EXPECT_EQ(s.mask(), 0u);                // SA_NODEFER: not blocked in its handler
    EXPECT_EQ(s.disposition(SIGTERM), Disposition::Terminate);
}

TEST(SignalState, SigsuspendsMaskHoldsUntilAHandlerRecordsTheOldOne) {
    SignalState s;
    ASSERT_TRUE(s.set_action(SIGUSR1, handled()));
    s.set_mask(bit(SIGUSR1) | bit(SIGINT));
    EXPECT_EQ(s.saved_mask(), bit(SIGUSR1) | bit(SIGINT));
    s.suspend(bit(SIGINT));
    EXPECT_EQ(s.mask(), bit(SIGINT));
    EXPECT_EQ(s.saved_mask(), bit(SIGUSR1) | bit(SIGINT));  // what the handler's frame records
    s.post(SIGUSR1, SI_USER, 2);
    auto signal = s.take_deliverable();
    ASSERT_TRUE(signal);
    s.enter_handler(signal->signo);
    EXPECT_EQ(s.mask(), bit(SIGINT) | bit(SIGUSR1));
    EXPECT_EQ(s.saved_mask(), s.mask());  // a later frame nests inside this one
    // Made again rather than ended by a handler: the old mask comes back.
    s.set_mask(bit(SIGTERM));
    s.suspend(0);
    s.end_suspend();
    EXPECT_EQ(s.mask(), bit(SIGTERM));
}

TEST(SignalState, ExecveResetsHandlersAndKeepsTheRest) {
    SignalState s;
    ASSERT_TRUE(s.set_action(SIGUSR1, handled()));
    ASSERT_TRUE(s.set_action(SIGUSR2, ignored()));
    ASSERT_TRUE(s.set_action(SIGALRM, handled()));
    s.set_mask(bit(SIGALRM) | bit(SIGINT));
    s.post(SIGALRM, SI_USER, 3);
    const uint64_t reset = s.reset_for_exec();
    EXPECT_EQ(reset, bit(SIGUSR1) | bit(SIGALRM));
    EXPECT_EQ(s.action(SIGUSR1).handler, SignalState::kDefault);
    EXPECT_EQ(s.disposition(SIGUSR2), Disposition::Ignore);  // ignored stays ignored
    EXPECT_EQ(s.mask(), bit(SIGALRM) | bit(SIGINT));         // the mask is kept
    EXPECT_EQ(s.pending(), bit(SIGALRM));                    // and what is pending
    EXPECT_EQ(s.reset_for_exec(), 0u);
}

TEST(SignalState, AForkChildKeepsActionsAndMaskButNothingPending) {
    SignalState s;
    ASSERT_TRUE(s.set_action(SIGUSR1, handled()));
    s.set_mask(bit(SIGUSR1));
    s.post(SIGUSR1, SI_USER, 1);
    s.forget_pending();
    EXPECT_EQ(s.pending(), 0u);
    EXPECT_EQ(s.mask(), bit(SIGUSR1));
    EXPECT_EQ(s.action(SIGUSR1).handler, kHandler);
}

}  // namespace
