// The Linux personality's outcome of a run, as data: how a guest ended (an
// exit, a signal, a fault, a limit) and what it used, read from the fields
// of LinuxProcess::run()'s result and of what its reporter is told, never
// from text.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "guest_code.h"
#include "os/linux_i386/process.h"
#include "vx/sandbox.h"

namespace {

using vx::testing::operator+;

using vx::os::linux_i386::Ending;
using vx::os::linux_i386::RunOutcome;

class RecordingReporter : public vx::os::linux_i386::RunReporter {
public:
    void process_ended(const RunOutcome& outcome) override { ended.push_back(outcome); }
    std::vector<RunOutcome> ended;
};

// mov eax, NR; mov ebx, A; mov ecx, B; int $0x80
std::vector<uint8_t> syscall(uint32_t nr, uint32_t a = 0, uint32_t b = 0) { return vx::testing::syscall_code(nr, {a, b}); }

constexpr uint32_t kExitGroup = 252, kKill = 37, kGetpid = 20;

// Runs `code` (load_code) as a Linux process (no host filter, no forks) and
// checks that the reporter was told the same outcome run() returns.
RunOutcome run_code(const std::vector<uint8_t>& code, vx::EngineLimits limits = {}) {
    vx::Sandbox sandbox(vx::SandboxOptions{.memory_size = 64u << 20, .limits = limits});
    const vx::ElfImage image = vx::testing::load_code(sandbox, code);
    RecordingReporter reporter;
    vx::os::linux_i386::ProcessOptions options;
    options.reporter = &reporter;
    RunOutcome outcome;
    {
        vx::os::linux_i386::LinuxProcess process(sandbox, image, options);
        outcome = process.run();
    }
    EXPECT_EQ(reporter.ended.size(), 1u) << "the reporter hears of each process's end once";
    if (!reporter.ended.empty()) {
        EXPECT_EQ(reporter.ended[0].ending, outcome.ending);
        EXPECT_EQ(reporter.ended[0].exit_status, outcome.exit_status);
    }
    return outcome;
}

uint64_t calls_named(const RunOutcome& outcome, const std::string& name) {
    for (const auto& [call, count] : outcome.syscalls)
        if (call == name) return count;
    return 0;
}

TEST(RunOutcome, AnExitIsTheGuestsOwnStatus) {
    const RunOutcome outcome = run_code(syscall(kGetpid) + syscall(kGetpid) + syscall(kExitGroup, 3));
    EXPECT_EQ(outcome.ending, Ending::Exited);
    EXPECT_EQ(outcome.exit_status, 3);
    EXPECT_EQ(outcome.signal, 0);
    EXPECT_EQ(outcome.pid, 1);
    EXPECT_FALSE(outcome.fault);
    EXPECT_FALSE(outcome.limit);
    EXPECT_EQ(calls_named(outcome, "getpid"), 2u);
    EXPECT_EQ(calls_named(outcome, "exit_group"), 1u);
    EXPECT_GE(outcome.usage.engine_stat("translations").value_or(0), 1u);
    EXPECT_EQ(outcome.host_confinement, "") << "no host filter was asked for";
}

TEST(RunOutcome, ASignalsDefaultActionEndsItWithThatSignal) {
    // kill(0, SIGTERM): to its own process group, with no handler.
    const RunOutcome outcome = run_code(syscall(kKill, 0, SIGTERM) + syscall(kExitGroup, 0));
    EXPECT_EQ(outcome.ending, Ending::KilledBySignal);
    EXPECT_EQ(outcome.signal, SIGTERM);
    EXPECT_EQ(outcome.exit_status, 128 + SIGTERM);
    EXPECT_EQ(calls_named(outcome, "exit_group"), 0u) << "it never ran again";
}

TEST(RunOutcome, AnUnhandledFaultNamesItsKindPlaceAndInstruction) {
    // mov eax, [0x50000]: nothing is mapped there.
    const RunOutcome outcome = run_code({0xa1, 0x00, 0x00, 0x05, 0x00});
    EXPECT_EQ(outcome.ending, Ending::Fault);
    EXPECT_EQ(outcome.signal, SIGSEGV);
    EXPECT_EQ(outcome.exit_status, 128 + SIGSEGV);
    ASSERT_TRUE(outcome.fault);
    EXPECT_EQ(outcome.fault->fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(outcome.fault->fault.eip, vx::testing::kCodeAt);
    EXPECT_EQ(outcome.fault->fault.address, std::optional<uint32_t>(0x50000));
    EXPECT_NE(outcome.fault->instruction.find("mov"), std::string::npos) << outcome.fault->instruction;
}

TEST(RunOutcome, ALimitReachedNamesTheLimitAndWhoReachedIt) {
    vx::EngineLimits limits;
    limits.instructions = 1000;
    const RunOutcome outcome = run_code({0xeb, 0xfe}, limits);  // jmp .
    EXPECT_EQ(outcome.ending, Ending::LimitReached);
    EXPECT_EQ(outcome.signal, SIGKILL);
    EXPECT_EQ(outcome.exit_status, 128 + SIGKILL);
    ASSERT_TRUE(outcome.limit);
    EXPECT_EQ(outcome.limit->limit.limit, vx::Limit::Instructions);
    EXPECT_EQ(outcome.limit->limit.maximum, 1000u);
    EXPECT_EQ(outcome.limit->limit.used, 1000u);
    EXPECT_EQ(outcome.limit->pid, 1);
    EXPECT_EQ(outcome.usage.instructions, std::optional<uint64_t>(1000));
}

}  // namespace
