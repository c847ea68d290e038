// vx's fault handlers must leave the host's own faults alone: a host bug still
// kills the host, and a handler the host installed first still runs.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include "vx/sandbox.h"

namespace {

constexpr uint32_t kCode = 0x10000;

// Creates a sandbox and runs a guest fault, so vx's handlers are installed.
void run_a_faulting_guest() {
    vx::Sandbox sandbox(vx::SandboxOptions{.memory_size = 16u << 20});
    sandbox.memory().map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
    const uint8_t load_from_null[] = {0xa1, 0, 0, 0, 0};  // mov eax, [0]
    sandbox.memory().write(kCode, load_from_null, sizeof load_from_null);
    sandbox.registers().eip = kCode;
    if (sandbox.run().kind != vx::EventKind::Fault) _exit(10);
}

volatile int* volatile null_pointer = nullptr;

// Death tests in the "threadsafe" style run in a freshly started process, so
// the host's handler really is installed before vx's.
class HostSignals : public ::testing::Test {
protected:
    HostSignals() { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(HostSignals, AHostFaultStillKillsTheHost) {
    EXPECT_EXIT(
        {
            run_a_faulting_guest();
            *null_pointer = 1;
        },
        ::testing::KilledBySignal(SIGSEGV), "");
}

TEST_F(HostSignals, AHandlerTheHostInstalledFirstStillRuns) {
    EXPECT_EXIT(
        {
            struct sigaction action{};
            action.sa_handler = [](int) { _exit(42); };
            sigaction(SIGSEGV, &action, nullptr);
            run_a_faulting_guest();
            *null_pointer = 1;
        },
        ::testing::ExitedWithCode(42), "");
}

TEST_F(HostSignals, AKillSentSignalStillKills) {
    EXPECT_EXIT(
        {
            run_a_faulting_guest();
            kill(getpid(), SIGBUS);
            pause();
        },
        ::testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
