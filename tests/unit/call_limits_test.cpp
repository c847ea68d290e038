// Limits of one call (CallOptions::limits): a call that spends its own
// instructions, CPU or wall time ends with a LimitExceeded event marked
// per_call and leaves a sandbox the next call runs in; the sandbox's own
// limits still hold around it; a nested call is held by the call around it;
// nothing of a call's window stops a later call.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "engines.h"
#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/sandbox.h"

namespace {

using vx::testing::on_engine;
using namespace std::chrono_literals;

constexpr uint32_t kStackBase = 0x1f000000, kStackSize = 64u << 10;
constexpr uint64_t kMs = 1000000;

class CallLimits : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    void make_sandbox(vx::EngineLimits limits = {}) {
        std::ifstream in(std::string(VX_GUEST_DIR) + "/plugin_functions", std::ios::binary);
        file_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        ASSERT_FALSE(file_.empty()) << "no guest plugin_functions";
        sandbox_ = std::make_unique<vx::Sandbox>(on_engine(GetParam(), {.limits = limits}));
        sandbox_->load_program(file_);
        ASSERT_TRUE(sandbox_->memory().map(kStackBase, kStackSize, vx::kRead | vx::kWrite));
        sandbox_->registers().esp = kStackBase + kStackSize;
    }

    vx::CallResult call(const char* name, std::vector<uint32_t> args, vx::CallOptions options = {}) {
        const std::optional<uint32_t> entry = vx::elf_symbol(file_, name);
        EXPECT_TRUE(entry) << "no function " << name;
        return sandbox_->call(entry.value_or(0), args, options);
    }

    void expect_add_works() {
        const vx::CallResult result = call("add", {40, 2});
        ASSERT_TRUE(result.returned) << vx::describe(result.event);
        EXPECT_EQ(result.eax(), 42u);
    }

    std::vector<uint8_t> file_;
    std::unique_ptr<vx::Sandbox> sandbox_;
};

vx::EngineLimits fuel(uint64_t instructions) {
    vx::EngineLimits limits;
    limits.instructions = instructions;
    return limits;
}

vx::CallOptions limited(vx::CallLimits limits) { return {.on_event = {}, .limits = limits}; }

TEST_P(CallLimits, ACallSpendsItsOwnInstructionsAndTheSandboxKeepsTheRest) {
    make_sandbox(fuel(1000000));
    const vx::CallResult result = call("spin", {}, limited({.instructions = 1000}));
    ASSERT_FALSE(result.returned);
    ASSERT_EQ(result.event.kind, vx::EventKind::LimitExceeded) << vx::describe(result.event);
    const vx::LimitExceeded& breach = result.event.limit_exceeded;
    EXPECT_EQ(breach.limit, vx::Limit::Instructions);
    EXPECT_TRUE(breach.per_call);
    EXPECT_EQ(breach.used, 1000u);
    EXPECT_EQ(breach.maximum, 1000u);
    EXPECT_EQ(sandbox_->fuel(), 1000000u - 1000u) << "the call spent exactly its own";
    EXPECT_FALSE(sandbox_->stop_pending());
    expect_add_works();
    EXPECT_LT(*sandbox_->fuel(), 1000000u - 1000u);
}

TEST_P(CallLimits, ACallGivenMoreThanTheSandboxHasStopsAtTheSandboxsLimit) {
    make_sandbox(fuel(500));
    const vx::CallResult result = call("spin", {}, limited({.instructions = 100000}));
    ASSERT_EQ(result.event.kind, vx::EventKind::LimitExceeded) << vx::describe(result.event);
    EXPECT_EQ(result.event.limit_exceeded.limit, vx::Limit::Instructions);
    EXPECT_FALSE(result.event.limit_exceeded.per_call) << "the sandbox's fuel ran out, not the call's";
    EXPECT_EQ(sandbox_->fuel(), 0u);
    EXPECT_FALSE(call("add", {1, 2}).returned) << "no fuel left for another call";
}

TEST_P(CallLimits, AnInstructionLimitInASandboxWithoutFuelIsRefusedBeforeAnythingRuns) {
    make_sandbox();
    const vx::Registers before = sandbox_->registers();
    EXPECT_THROW(call("add", {1, 2}, limited({.instructions = 10})), vx::Error);
    EXPECT_EQ(sandbox_->registers().eip, before.eip);
    expect_add_works();
}

TEST_P(CallLimits, ACallSpendsItsOwnCpuTime) {
    make_sandbox();
    const vx::CallResult result = call("spin", {}, limited({.cpu_time_ns = 30 * kMs}));
    ASSERT_EQ(result.event.kind, vx::EventKind::LimitExceeded) << vx::describe(result.event);
    const vx::LimitExceeded& breach = result.event.limit_exceeded;
    EXPECT_EQ(breach.limit, vx::Limit::CpuTime);
    EXPECT_TRUE(breach.per_call);
    EXPECT_EQ(breach.maximum, 30 * kMs);
    EXPECT_GE(breach.used, 30 * kMs);
    EXPECT_NE(vx::describe(result.event).find("of the call"), std::string::npos) << vx::describe(result.event);
    EXPECT_FALSE(sandbox_->stop_pending());
    expect_add_works();
}

TEST_P(CallLimits, TheLargestLimitsAreNoLimit) {
    make_sandbox();
    const vx::CallResult result =
        call("add", {40, 2}, limited({.cpu_time_ns = UINT64_MAX, .wall_time_ns = UINT64_MAX}));
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 42u);
}

TEST_P(CallLimits, ACallSpendsItsOwnWallTime) {
    make_sandbox();
    const auto start = std::chrono::steady_clock::now();
    const vx::CallResult result = call("spin", {}, limited({.wall_time_ns = 30 * kMs}));
    ASSERT_EQ(result.event.kind, vx::EventKind::LimitExceeded) << vx::describe(result.event);
    EXPECT_EQ(result.event.limit_exceeded.limit, vx::Limit::WallTime);
    EXPECT_TRUE(result.event.limit_exceeded.per_call);
    EXPECT_GE(std::chrono::steady_clock::now() - start, 30ms);
    expect_add_works();
}

TEST_P(CallLimits, TheSandboxsCpuLimitHoldsAroundALargerCallLimit) {
    vx::EngineLimits limits;
    limits.cpu_time_ns = 40 * kMs;
    make_sandbox(limits);
    vx::CallResult result = call("spin", {}, limited({.cpu_time_ns = 10000 * kMs}));
    ASSERT_EQ(result.event.kind, vx::EventKind::LimitExceeded) << vx::describe(result.event);
    EXPECT_EQ(result.event.limit_exceeded.limit, vx::Limit::CpuTime);
    EXPECT_FALSE(result.event.limit_exceeded.per_call);
    EXPECT_EQ(result.event.limit_exceeded.maximum, 40 * kMs);
    ASSERT_TRUE(sandbox_->stop_pending());
    result = call("add", {1, 2});
    EXPECT_FALSE(result.returned) << "the sandbox's limit stays reached";
}

TEST_P(CallLimits, ANestedCallIsHeldByTheCallAroundIt) {
    make_sandbox();
    vx::CallResult inner;
    const vx::CallResult outer = call("ask_host", {1}, {.on_event = [&](const vx::Event&) {
                                                           inner = call("spin", {});
                                                           return false;
                                                       },
                                                       .limits = {.wall_time_ns = 30 * kMs}});
    ASSERT_EQ(inner.event.kind, vx::EventKind::LimitExceeded) << vx::describe(inner.event);
    EXPECT_EQ(inner.event.limit_exceeded.limit, vx::Limit::WallTime);
    EXPECT_TRUE(inner.event.limit_exceeded.per_call);
    EXPECT_EQ(inner.event.limit_exceeded.maximum, 30 * kMs);
    EXPECT_FALSE(outer.returned);
    expect_add_works();
}

// A stop that keeps a call from running forever if the limit under test
// does not: the test then sees Interrupted, not the limit.
class Backstop {
public:
    Backstop(vx::Sandbox& sandbox, std::chrono::milliseconds after)
        : thread_([&sandbox, after, this] {
              std::unique_lock lock(mutex_);
              if (!done_cv_.wait_for(lock, after, [this] { return done_; })) sandbox.interrupt();
          }) {}
    ~Backstop() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        done_cv_.notify_all();
        thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable done_cv_;
    bool done_ = false;
    std::thread thread_;
};

TEST_P(CallLimits, AWindowANestedCallReachedStillStopsTheCallAroundIt) {
    make_sandbox();
    // The inner call takes the stop of the outer call's window; the handler
    // lets the outer function go on, and it spins: the window still holds.
    vx::CallResult inner;
    Backstop backstop(*sandbox_, 3000ms);
    const vx::CallResult outer = call("ask_then_spin", {}, {.on_event = [&](const vx::Event& event) {
                                                               if (event.kind != vx::EventKind::Syscall) return false;
                                                               inner = call("spin", {});
                                                               return true;
                                                           },
                                                           .limits = {.wall_time_ns = 30 * kMs}});
    EXPECT_EQ(inner.event.kind, vx::EventKind::LimitExceeded) << vx::describe(inner.event);
    ASSERT_EQ(outer.event.kind, vx::EventKind::LimitExceeded) << vx::describe(outer.event);
    EXPECT_EQ(outer.event.limit_exceeded.limit, vx::Limit::WallTime);
    EXPECT_TRUE(outer.event.limit_exceeded.per_call);
}

TEST_P(CallLimits, ACallOnAnotherThreadCountsItsCpuWindowFromThere) {
    make_sandbox();
    // The sandbox runs first on a thread that has used CPU before, then on a
    // fresh one: the second call's window is its own thread's 40 ms.
    std::thread([&] {
        const auto until = std::chrono::steady_clock::now() + 150ms;
        while (std::chrono::steady_clock::now() < until) {
        }
        const vx::CallResult first = call("spin", {}, limited({.cpu_time_ns = 40 * kMs}));
        EXPECT_EQ(first.event.kind, vx::EventKind::LimitExceeded) << vx::describe(first.event);
    }).join();
    std::thread([&] {
        Backstop backstop(*sandbox_, 3000ms);
        const vx::CallResult second = call("spin", {}, limited({.cpu_time_ns = 40 * kMs}));
        ASSERT_EQ(second.event.kind, vx::EventKind::LimitExceeded) << vx::describe(second.event);
        EXPECT_TRUE(second.event.limit_exceeded.per_call);
    }).join();
    EXPECT_GE(sandbox_->usage().cpu_time_ns, 80 * kMs) << "both threads' CPU counted";
}

TEST_P(CallLimits, NothingOfACallsWindowStopsALaterCall) {
    make_sandbox();
    for (int i = 0; i < 3; ++i) {
        const vx::CallResult limited_call = call("spin", {}, limited({.cpu_time_ns = 5 * kMs, .wall_time_ns = 5 * kMs}));
        ASSERT_EQ(limited_call.event.kind, vx::EventKind::LimitExceeded) << vx::describe(limited_call.event);
    }
    // A call of its own, without limits, runs until it is interrupted: no
    // timer of the calls before goes off in it.
    std::thread interrupter([&] {
        std::this_thread::sleep_for(100ms);
        sandbox_->interrupt();
    });
    const vx::CallResult free_call = call("spin", {});
    interrupter.join();
    EXPECT_EQ(free_call.event.kind, vx::EventKind::Interrupted) << vx::describe(free_call.event);
}

VX_FOR_EACH_ENGINE(CallLimits);

}  // namespace
