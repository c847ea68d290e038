// The engine's limits seen through the Sandbox API: fuel that stops a guest
// at the same instruction every time, whether given at once or in slices and
// through interruptions; interrupt() from another thread; CPU and wall time.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <thread>
#include <tuple>
#include <vector>

#include "engines.h"
#include "os/linux_i386/initial_stack.h"
#include "vx/sandbox.h"

namespace {

std::vector<uint8_t> guest_program(const char* name) {
    std::ifstream in(std::string(VX_GUEST_DIR) + "/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A guest's whole state where it stopped: registers and the XSAVE image.
struct Snapshot {
    vx::Registers regs;
    std::vector<uint8_t> extended;
    bool operator==(const Snapshot& o) const {
        return std::memcmp(&regs, &o.regs, sizeof regs) == 0 && extended == o.extended;
    }
};

Snapshot snapshot(vx::Sandbox& sandbox) { return {sandbox.registers(), sandbox.extended_state()}; }

// Runs until an event other than a system call, serving the calls these
// guests make the same way every time: write pretends all was written, exit
// ends them, anything else fails with ENOSYS.
vx::Event run_serving_calls(vx::Sandbox& sandbox) {
    for (;;) {
        vx::Event event = sandbox.run();
        if (event.kind != vx::EventKind::Syscall) return event;
        vx::Registers& r = sandbox.registers();
        if (r.eax == 1 || r.eax == 252) sandbox.finish(int(r.ebx));
        else r.eax = r.eax == 4 ? r.edx : uint32_t(-38);
    }
}

constexpr uint32_t kStackSize = 8u << 20;

vx::SandboxOptions with_fuel(vx::EngineKind engine, uint64_t fuel) {
    vx::SandboxOptions options = vx::testing::on_engine(engine, {.memory_size = 256u << 20});  // programs load at 128 MiB
    options.limits.instructions = fuel;
    return options;
}

// Whole guest programs: recursion (calls and returns), strings (rep movs,
// scas, ...), vector_sse (SSE state in the snapshot).
class FuelTest : public ::testing::TestWithParam<std::tuple<vx::EngineKind, const char*>> {
protected:
    const char* guest() const { return std::get<1>(GetParam()); }
    vx::SandboxOptions with_fuel(uint64_t fuel) const { return ::with_fuel(std::get<0>(GetParam()), fuel); }
    void load(vx::Sandbox& sandbox) {
        const auto file = guest_program(guest());
        ASSERT_FALSE(file.empty()) << "no guest " << guest();
        vx::os::linux_i386::load_program(sandbox, file, {guest()}, {}, kStackSize);
    }
    // Instructions of the whole program.
    uint64_t instructions_to_exit() {
        vx::Sandbox sandbox(with_fuel(uint64_t(1) << 40));
        load(sandbox);
        EXPECT_EQ(run_serving_calls(sandbox).kind, vx::EventKind::Exit);
        return *sandbox.usage().instructions;
    }
};

TEST_P(FuelTest, StopsAtTheSameInstructionEveryTime) {
    const uint64_t total = instructions_to_exit();
    ASSERT_GT(total, 100u);
    for (uint64_t n : {total / 3, total / 2 + 1, total - 1}) {
        std::vector<Snapshot> runs;
        for (int run = 0; run < 2; ++run) {
            vx::Sandbox sandbox(with_fuel(n));
            load(sandbox);
            vx::Event event = run_serving_calls(sandbox);
            ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
            EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::Instructions);
            EXPECT_EQ(event.limit_exceeded.used, n);
            EXPECT_EQ(*sandbox.fuel(), 0u);
            EXPECT_EQ(*sandbox.usage().instructions, n);
            // It stays stopped until given more.
            EXPECT_EQ(sandbox.run().kind, vx::EventKind::LimitExceeded);
            runs.push_back(snapshot(sandbox));
        }
        EXPECT_TRUE(runs[0] == runs[1]) << "two runs to " << n << " instructions differ";
    }
}

TEST_P(FuelTest, SlicesAndInterruptionsStopWhereOneBudgetDoes) {
    const uint64_t total = instructions_to_exit();
    const uint64_t n = total / 2 + 7;
    vx::Sandbox whole(with_fuel(n));
    load(whole);
    ASSERT_EQ(run_serving_calls(whole).kind, vx::EventKind::LimitExceeded);

    // A slice at a time (997, or less for a small program), and interrupted
    // from another thread all along.
    const uint64_t slice = std::clamp<uint64_t>(n / 40, 7, 997);
    uint64_t given = std::min(slice, n);
    vx::Sandbox sliced(with_fuel(given));
    load(sliced);
    std::atomic<bool> done{false};
    std::atomic<int> interruptions{0};
    std::thread interrupter([&] {
        while (!done) {
            sliced.interrupt();
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    });
    for (;;) {
        vx::Event event = run_serving_calls(sliced);
        if (event.kind == vx::EventKind::Interrupted) {
            ++interruptions;
            continue;
        }
        ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
        if (given == n) break;
        uint64_t more = std::min(slice, n - given);
        sliced.add_fuel(more);
        given += more;
    }
    done = true;
    interrupter.join();
    // An interrupt it asked for after the last run is the next run's first
    // event (interrupt(): "a sandbox not running, at its next run()").
    const auto run_past_interrupts = [&](vx::Sandbox& sandbox) {
        for (;;) {
            vx::Event event = run_serving_calls(sandbox);
            if (event.kind != vx::EventKind::Interrupted) return event;
        }
    };
    EXPECT_EQ(*sliced.usage().instructions, n);
    EXPECT_TRUE(snapshot(whole) == snapshot(sliced));
    std::printf("%llu instructions in slices of %llu, interrupted %d times\n", (unsigned long long)n,
                (unsigned long long)slice, interruptions.load());

    // With more fuel, both go on to the same end.
    whole.add_fuel(total);
    sliced.add_fuel(total);
    EXPECT_EQ(run_serving_calls(whole).kind, vx::EventKind::Exit);
    EXPECT_EQ(run_past_interrupts(sliced).kind, vx::EventKind::Exit);
    EXPECT_EQ(*whole.usage().instructions, total);
    EXPECT_TRUE(snapshot(whole) == snapshot(sliced));
}

INSTANTIATE_TEST_SUITE_P(Guests, FuelTest,
                         ::testing::Combine(::testing::ValuesIn(vx::available_engines()),
                                            ::testing::Values("recursion", "strings", "vector_sse")),
                         [](const auto& info) {
                             return std::string(vx::to_string(std::get<0>(info.param))) + "_" +
                                    std::get<1>(info.param);
                         });

// The other suites here run on each engine.
class Preemption : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    vx::SandboxOptions options(uint64_t memory_size) const {
        return vx::testing::on_engine(GetParam(), {.memory_size = memory_size});
    }
};
using Fuel = Preemption;

// A guest that never calls its host: a loop with a long rep movsb inside.
class SpinningGuest {
public:
    explicit SpinningGuest(const vx::SandboxOptions& options) : sandbox(options) {
        auto& memory = sandbox.memory();
        memory.map(kCode, 0x1000, vx::kRead | vx::kWrite);
        memory.map(kData, 32u << 20, vx::kRead | vx::kWrite);
        // again: mov esi, kData; mov edi, kData + 16M; mov ecx, 16M; rep movsb; jmp again
        const uint8_t code[] = {0xbe, 0, 0, 0x10, 0, 0xbf, 0, 0, 0x10, 0x01, 0xb9, 0, 0, 0, 0x01,
                                0xf3, 0xa4, 0xeb, 0xed};
        memory.write(kCode, code, sizeof code);
        memory.protect(kCode, 0x1000, vx::kRead | vx::kExec);
        sandbox.registers().eip = kCode;
    }
    static constexpr uint32_t kCode = 0x10000, kData = 0x100000;
    vx::Sandbox sandbox;
};

TEST_P(Preemption, InterruptStopsASpinningGuestFromAnotherThread) {
    SpinningGuest guest(options(64u << 20));
    std::atomic<std::chrono::steady_clock::time_point> asked{};
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        asked = std::chrono::steady_clock::now();
        guest.sandbox.interrupt();
    });
    vx::Event event = guest.sandbox.run();
    auto stopped = std::chrono::steady_clock::now();
    interrupter.join();
    ASSERT_EQ(event.kind, vx::EventKind::Interrupted) << vx::describe(event);
    uint32_t eip = guest.sandbox.registers().eip;
    EXPECT_TRUE(eip >= SpinningGuest::kCode && eip < SpinningGuest::kCode + 19) << std::hex << eip;
    std::printf("interrupt latency: %.1f us\n",
                std::chrono::duration<double, std::micro>(stopped - asked.load()).count());
    // It goes on when run again, and an interrupt asked before run() stops it at once.
    guest.sandbox.interrupt();
    EXPECT_EQ(guest.sandbox.run().kind, vx::EventKind::Interrupted);
}

// Loops with no string instruction: a block jumping to itself, a
// conditional branch, an indirect jump, a return, a block jumping to itself
// with the AC flag set, one with a vector instruction (the interrupt signal's handler starts with the
// guest's flags: its entry clears AC before any C++ runs); each counts its turns in
// memory and is stopped twice (the first stop flushed the translations it
// unchained). The interrupt is asked once the count shows the guest inside
// its loop, so that it lands there whatever the machine's load.
TEST_P(Preemption, InterruptStopsEveryKindOfLoop) {
    constexpr uint32_t kCounter = 0x20000;
    const std::vector<std::vector<uint8_t>> loops = {
        {0xff, 0x05, 0, 0, 0x02, 0, 0xeb, 0xf8},                         // again: inc dword [kCounter]; jmp again
        {0xff, 0x05, 0, 0, 0x02, 0, 0x75, 0xf8},                         // again: inc dword [kCounter]; jnz again
        {0xb9, 0x05, 0, 0x01, 0, 0xff, 0x05, 0, 0, 0x02, 0, 0xff, 0xe1},  // mov ecx, again; again: inc [..]; jmp ecx
        {0xff, 0x05, 0, 0, 0x02, 0, 0x68, 0x00, 0, 0x01, 0, 0xc3},       // again: inc [..]; push again; ret
        // pushf; or dword [esp], 0x40000; popf; again: inc [..]; jmp again
        {0x9c, 0x81, 0x0c, 0x24, 0, 0, 0x04, 0, 0x9d, 0xff, 0x05, 0, 0, 0x02, 0, 0xeb, 0xf8},
        // again: inc [..]; por xmm0, xmm0; jmp again (each turn calls the extended state's gate,
        // host code a stop may land in)
        {0xff, 0x05, 0, 0, 0x02, 0, 0x66, 0x0f, 0xeb, 0xc0, 0xeb, 0xf4},
    };
    for (const auto& loop : loops) {
        vx::Sandbox sandbox(options(16u << 20));
        auto& memory = sandbox.memory();
        memory.map(0x10000, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
        memory.map(0x20000, 0x1000, vx::kRead | vx::kWrite);
        memory.write(0x10000, loop.data(), loop.size());
        sandbox.registers().eip = 0x10000;
        sandbox.registers().esp = 0x21000;
        auto turns = [&] {
            uint32_t count = 0;
            memory.read(kCounter, &count, sizeof count);
            return count;
        };
        for (int stop = 0; stop < 2; ++stop) {
            const uint32_t before = turns();
            std::thread interrupter([&] {
                while (turns() == before) std::this_thread::yield();
                sandbox.interrupt();
            });
            vx::Event event = sandbox.run();
            interrupter.join();
            ASSERT_EQ(event.kind, vx::EventKind::Interrupted) << vx::describe(event);
            uint32_t eip = sandbox.registers().eip;
            EXPECT_TRUE(eip >= 0x10000 && eip < 0x10000 + loop.size()) << std::hex << eip;
            EXPECT_GT(turns(), before);  // it ran
        }
    }
}

// A stop that unchains a running block forgets the indirect branch targets
// the engine looked up; a guest that never branched indirectly had none,
// and its stops make the host keep no memory for them (the memory limit
// counts what the engine keeps).
TEST_P(Preemption, StopsKeepNoMemoryForIndirectTargetsNeverLookedUp) {
    vx::Sandbox sandbox(options(16u << 20));
    auto& memory = sandbox.memory();
    const uint8_t loop[] = {0xff, 0x05, 0, 0, 0x02, 0, 0xeb, 0xf8};  // again: inc dword [0x20000]; jmp again
    memory.map(0x10000, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
    memory.map(0x20000, 0x1000, vx::kRead | vx::kWrite);
    memory.write(0x10000, loop, sizeof loop);
    sandbox.registers().eip = 0x10000;
    auto turns = [&] {
        uint32_t count = 0;
        memory.read(0x20000, &count, sizeof count);
        return count;
    };
    const uint64_t at_first = sandbox.memory_in_use();
    for (int stop = 0; stop < 3; ++stop) {
        const uint32_t before = turns();
        std::thread interrupter([&] {
            while (turns() == before) std::this_thread::yield();
            sandbox.interrupt();
        });
        const vx::Event event = sandbox.run();
        interrupter.join();
        ASSERT_EQ(event.kind, vx::EventKind::Interrupted) << vx::describe(event);
    }
    // One block of a loop, translated again after each stop: a few KiB.
    EXPECT_LT(sandbox.memory_in_use() - at_first, 64u << 10) << "from " << at_first;
}

TEST_P(Preemption, TimeLimitsStopASpinningGuestAndStay) {
    for (vx::Limit limit : {vx::Limit::CpuTime, vx::Limit::WallTime}) {
        vx::SandboxOptions options = this->options(64u << 20);
        const uint64_t limit_ns = 100'000'000;
        (limit == vx::Limit::CpuTime ? options.limits.cpu_time_ns : options.limits.wall_time_ns) = limit_ns;
        SpinningGuest guest(options);
        vx::Event event = guest.sandbox.run();
        ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
        EXPECT_EQ(event.limit_exceeded.limit, limit);
        EXPECT_EQ(event.limit_exceeded.maximum, limit_ns);
        // Never early: that is what the mechanism promises. How far past the
        // limit it lands depends on the machine's load (printed, not checked);
        // that it stops at all is this run() returning.
        EXPECT_GE(event.limit_exceeded.used, limit_ns);
        std::printf("%s: stopped at %.2f ms of %.0f ms\n", vx::to_string(limit),
                    double(event.limit_exceeded.used) / 1e6, double(limit_ns) / 1e6);
        EXPECT_EQ(guest.sandbox.run().kind, vx::EventKind::LimitExceeded);
    }
}

TEST_P(Preemption, SandboxesOnTwoThreadsStopOnTheirOwnLimits) {
    vx::SandboxOptions short_limit = options(64u << 20), long_limit = options(64u << 20);
    short_limit.limits.cpu_time_ns = 50'000'000;
    long_limit.limits.cpu_time_ns = 250'000'000;
    SpinningGuest a(short_limit), b(long_limit);
    vx::Event event_b;
    std::thread other([&] { event_b = b.sandbox.run(); });
    vx::Event event_a = a.sandbox.run();
    other.join();
    ASSERT_EQ(event_a.kind, vx::EventKind::LimitExceeded);
    ASSERT_EQ(event_b.kind, vx::EventKind::LimitExceeded);
    EXPECT_GE(event_a.limit_exceeded.used, 50'000'000u);
    EXPECT_GE(event_b.limit_exceeded.used, 250'000'000u);
}

TEST_P(Fuel, IsRefusedWhereNoneWasGiven) {
    vx::Sandbox sandbox(options(16u << 20));
    EXPECT_FALSE(sandbox.fuel().has_value());
    EXPECT_THROW(sandbox.add_fuel(1), vx::Error);
    EXPECT_THROW(sandbox.take_fuel(), vx::Error);
    EXPECT_THROW(sandbox.set_cpu_time_limit(1), vx::Error);
}

// Fuel taken back is no longer the sandbox's: it stops at its next block
// until more is given, and what it ran is counted once.
TEST_P(FuelTest, TakenBackFuelIsGone) {
    const uint64_t total = instructions_to_exit();
    vx::Sandbox sandbox(with_fuel(total / 2));
    load(sandbox);
    vx::Event event = run_serving_calls(sandbox);
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
    sandbox.add_fuel(total);
    EXPECT_EQ(sandbox.take_fuel(), total);
    EXPECT_EQ(*sandbox.fuel(), 0u);
    event = run_serving_calls(sandbox);
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
    EXPECT_EQ(*sandbox.usage().instructions, total / 2);
    sandbox.add_fuel(total - total / 2);
    EXPECT_EQ(run_serving_calls(sandbox).kind, vx::EventKind::Exit);
    EXPECT_EQ(*sandbox.usage().instructions, total);
}

// A CPU limit moved further on clears the limit reached, and the guest goes
// on to the new one; moved back below what was used, it stops at once.
TEST_P(Preemption, CpuTimeLimitMovesInSlices) {
    vx::SandboxOptions options = this->options(64u << 20);
    options.limits.cpu_time_ns = 20'000'000;
    SpinningGuest guest(options);
    for (uint64_t limit = 20'000'000; limit <= 60'000'000; limit += 20'000'000) {
        if (limit > 20'000'000) guest.sandbox.set_cpu_time_limit(limit);
        vx::Event event = guest.sandbox.run();
        ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
        EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::CpuTime);
        EXPECT_EQ(event.limit_exceeded.maximum, limit);
        EXPECT_GE(event.limit_exceeded.used, limit);
    }
    guest.sandbox.set_cpu_time_limit(1);
    vx::Event event = guest.sandbox.run();
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded);
    EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::CpuTime);
}

// Another process's request (Sandbox::interrupt_signal) stops a spinning
// guest as interrupt() does.
TEST_P(Preemption, InterruptSignalFromAnotherProcessStopsTheGuest) {
    SpinningGuest guest(options(64u << 20));
    const pid_t self = getpid();
    const vx::InterruptSignal stop = vx::Sandbox::interrupt_signal();
    pid_t child = fork();
    if (child == 0) {
        usleep(50'000);
        union sigval value;
        value.sival_int = stop.value;
        _exit(sigqueue(self, stop.signo, value) == 0 ? 0 : 1);
    }
    ASSERT_GT(child, 0);
    vx::Event event = guest.sandbox.run();
    int status = 0;
    waitpid(child, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    EXPECT_EQ(event.kind, vx::EventKind::Interrupted) << vx::describe(event);
}

VX_FOR_EACH_ENGINE(Preemption);
VX_FOR_EACH_ENGINE(Fuel);

}  // namespace
