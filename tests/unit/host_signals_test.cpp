// vx's fault handlers must leave the host's own faults alone: a host bug still
// kills the host, and a handler the host installed first still runs.
#include <gtest/gtest.h>
#include <sys/mman.h>

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

// A host page nobody may touch (not a null pointer, which UBSan would report
// before the CPU faults).
volatile int* const inaccessible =
    static_cast<volatile int*>(mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));

#if defined(__SANITIZE_ADDRESS__)
// For the whole unit-test binary: these tests check how vx's fault handler and
// the host's own share signals, and AddressSanitizer's would stand in the
// host's place.
extern "C" const char* __asan_default_options() {
    return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0";
}
#endif

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
            *inaccessible = 1;
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
            *inaccessible = 1;
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
