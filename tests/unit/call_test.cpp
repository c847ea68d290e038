// Sandbox::call: the host calls the functions of a guest "plug-in"
// (tests/unit/guests/plugin_functions.c) by name and gets their results; the
// guest's registers stay as they were; events go to the call's handler, which
// may answer them or call into the guest again; what stops a call leaves a
// sandbox that can be called again; bad stacks and a mapped trap page are
// refused before anything runs.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "engines.h"
#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/sandbox.h"

namespace {

using vx::testing::on_engine;

// As tests/unit/guests/plugin_functions.c numbers its calls to the host.
constexpr uint32_t kHostAsk = 0x4001, kHostNest = 0x4002;

constexpr uint32_t kStackBase = 0x1f000000, kStackSize = 64u << 10;
constexpr uint32_t kStackTop = kStackBase + kStackSize;
constexpr uint32_t kData = 0x1e000000;

std::vector<uint8_t> plugin_file() {
    std::ifstream in(std::string(VX_GUEST_DIR) + "/plugin_functions", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool same(const vx::Registers& a, const vx::Registers& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

class Call : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    void SetUp() override { make_sandbox({}); }

    void make_sandbox(vx::EngineLimits limits) {
        file_ = plugin_file();
        ASSERT_FALSE(file_.empty()) << "no guest plugin_functions";
        sandbox_ = std::make_unique<vx::Sandbox>(on_engine(GetParam(), {.limits = limits}));
        sandbox_->load_program(file_);
        ASSERT_TRUE(sandbox_->memory().map(kStackBase, kStackSize, vx::kRead | vx::kWrite));
        // Registers a call must give back as it found them: esp deliberately
        // not aligned, eip anywhere.
        regs() = vx::Registers{.eax = 0xa0a0a0a0, .ecx = 0xc1c1c1c1, .edx = 0xd2d2d2d2, .ebx = 0xb3b3b3b3,
                               .esp = kStackTop - 0x107, .ebp = 0xb5b5b5b5, .esi = 0x56565656,
                               .edi = 0x7d7d7d7d, .eip = 0x12345678, .eflags = 0x203};
    }

    uint32_t entry(const char* name) {
        std::optional<uint32_t> address = vx::elf_symbol(file_, name);
        EXPECT_TRUE(address) << "no function " << name;
        return address.value_or(0);
    }

    vx::CallResult call(const char* name, std::vector<uint32_t> args = {}, const vx::CallHandler& on_event = {}) {
        return sandbox_->call(entry(name), args, on_event);
    }

    vx::Registers& regs() { return sandbox_->registers(); }

    std::vector<uint8_t> file_;
    std::unique_ptr<vx::Sandbox> sandbox_;
};

TEST_P(Call, AFunctionReturnsItsResultAndTheRegistersStay) {
    const vx::Registers before = regs();
    vx::CallResult result = call("add", {40, 2});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 42u);
    EXPECT_TRUE(same(regs(), before));
    result = call("add", {uint32_t(-5), 3});
    ASSERT_TRUE(result.returned);
    EXPECT_EQ(int32_t(result.eax()), -2);
}

TEST_P(Call, ASixtyFourBitResultIsEdxEax) {
    vx::CallResult result = call("multiply_wide", {0xffffffff, 0x10});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.value, 0xf'ffff'fff0ull);
}

TEST_P(Call, AFunctionReadsWhatTheHostWroteAndItsWritesStay) {
    ASSERT_TRUE(sandbox_->memory().map(kData, vx::kPageSize, vx::kRead | vx::kWrite));
    std::vector<uint32_t> words(100);
    uint32_t expected = 0;
    for (uint32_t i = 0; i < words.size(); ++i) expected += words[i] = i * 7919 + 1;
    ASSERT_TRUE(sandbox_->memory().write(kData, words.data(), words.size() * 4));
    vx::CallResult result = call("sum", {kData, uint32_t(words.size())});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), expected);
    // The frame the call wrote below esp is memory the guest keeps.
    uint32_t below[2] = {};
    ASSERT_TRUE(sandbox_->memory().read((regs().esp - 8) & ~15u, below, sizeof below));
    EXPECT_EQ(below[0], kData);
    EXPECT_EQ(below[1], words.size());
}

TEST_P(Call, EveryArgumentIsOnTheStackInOrderHoweverMany) {
    // The frame is written from a small array for a few arguments, from the
    // heap for more: both, and the edge between them.
    for (uint32_t count : {2u, 14u, 15u, 16u, 17u, 40u, 1000u}) {
        std::vector<uint32_t> args(count);
        for (uint32_t i = 0; i < count; ++i) args[i] = 0x1000 + i;
        vx::CallResult result = call("add", args);
        ASSERT_TRUE(result.returned) << vx::describe(result.event);
        EXPECT_EQ(result.eax(), 0x2001u);
        std::vector<uint32_t> frame(count + 1);
        ASSERT_TRUE(sandbox_->memory().read(((regs().esp - 4 * count) & ~15u) - 4, frame.data(), frame.size() * 4));
        EXPECT_EQ(frame[0], vx::kCallReturnAddress) << count << " arguments";
        for (uint32_t i = 0; i < count; ++i) ASSERT_EQ(frame[i + 1], args[i]) << count << " arguments";
    }
}

TEST_P(Call, TheCalleeFindsTheStackAlignedWhereverEspWas) {
    const uint32_t top = regs().esp;
    for (uint32_t offset = 0; offset < 16; ++offset)
        for (uint32_t count = 0; count < 5; ++count) {
            regs().esp = top - offset;
            std::vector<uint32_t> args(count, 1);
            vx::CallResult result = call("entry_misalignment", args);
            ASSERT_TRUE(result.returned) << vx::describe(result.event);
            EXPECT_EQ(result.eax(), 0u) << "esp " << std::hex << regs().esp << ", " << count << " arguments";
            args.resize(std::max<uint32_t>(count, 1));
            args[0] = 5;
            result = call("aligned_vector_sum", args);
            ASSERT_TRUE(result.returned) << vx::describe(result.event);
            EXPECT_EQ(result.eax(), 5u + 6 + 7 + 8);
            EXPECT_EQ(regs().esp, top - offset);
        }
}

TEST_P(Call, EveryRegisterTheCalleeChangedIsPutBack) {
    const vx::Registers before = regs();
    const std::vector<uint8_t> extended = sandbox_->extended_state();
    vx::CallResult result = call("clobber");
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 0xffffffffu);
    EXPECT_TRUE(same(regs(), before));
    const std::vector<uint8_t> after = sandbox_->extended_state();
    ASSERT_GE(after.size(), 288u);
    ASSERT_EQ(after.size(), extended.size());
    EXPECT_EQ(std::memcmp(after.data(), extended.data(), 2), 0) << "the x87 control word";
    EXPECT_EQ(std::memcmp(after.data() + 160, extended.data() + 160, 128), 0) << "xmm0-7";
    // The flags the callee left (DF set) were not the next call's.
    result = call("add", {1, 2});
    ASSERT_TRUE(result.returned);
    EXPECT_EQ(result.eax(), 3u);
}

TEST_P(Call, TheExtendedStateSetBetweenCallsIsTheOneACallPutsBack) {
    // A call keeps the image it found while the state does not change: one
    // the host set since is what the next call finds, and puts back.
    ASSERT_TRUE(call("clobber").returned);
    std::vector<uint8_t> set = sandbox_->extended_state();
    ASSERT_GE(set.size(), 288u);
    std::memset(set.data() + 160 + 3 * 16, 0x3c, 16);  // xmm3
    set[0] = 0x7f, set[1] = 0x0b;                        // the x87 control word: round down
    ASSERT_TRUE(sandbox_->set_extended_state(set));
    for (int round = 0; round < 2; ++round) {
        ASSERT_TRUE(call("clobber").returned);
        const std::vector<uint8_t> after = sandbox_->extended_state();
        ASSERT_EQ(after.size(), set.size());
        EXPECT_EQ(std::memcmp(after.data(), set.data(), 2), 0) << "the x87 control word, round " << round;
        EXPECT_EQ(std::memcmp(after.data() + 160, set.data() + 160, 128), 0) << "xmm0-7, round " << round;
    }
}

TEST_P(Call, AFaultEndsTheCallAndTheSandboxCanBeCalledAgain) {
    const vx::Registers before = regs();
    vx::CallResult result = call("write_null");
    ASSERT_FALSE(result.returned);
    ASSERT_EQ(result.event.kind, vx::EventKind::Fault) << vx::describe(result.event);
    EXPECT_EQ(result.event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(result.event.fault.address, 0u);
    EXPECT_TRUE(same(regs(), before));
    result = call("add", {2, 3});
    ASSERT_TRUE(result.returned);
    EXPECT_EQ(result.eax(), 5u);
}

TEST_P(Call, FuelStopsALoopAndMoreFuelLetsTheSandboxBeCalledAgain) {
    vx::EngineLimits limits;
    limits.instructions = 100000;
    make_sandbox(limits);
    const vx::Registers before = regs();
    vx::CallResult result = call("spin");
    ASSERT_FALSE(result.returned);
    ASSERT_EQ(result.event.kind, vx::EventKind::LimitExceeded) << vx::describe(result.event);
    EXPECT_EQ(result.event.limit_exceeded.limit, vx::Limit::Instructions);
    EXPECT_TRUE(same(regs(), before));
    result = call("add", {2, 3});
    EXPECT_FALSE(result.returned) << "no fuel left";
    sandbox_->add_fuel(1000);
    result = call("add", {2, 3});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 5u);
}

TEST_P(Call, AnInterruptFromAnotherThreadStopsALoop) {
    const vx::Registers before = regs();
    std::thread interrupter([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        sandbox_->interrupt();
    });
    vx::CallResult result = call("spin");
    interrupter.join();
    ASSERT_FALSE(result.returned);
    EXPECT_EQ(result.event.kind, vx::EventKind::Interrupted) << vx::describe(result.event);
    EXPECT_TRUE(same(regs(), before));
    result = call("add", {2, 3});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 5u);
}

TEST_P(Call, TheHandlerAnswersASystemCall) {
    int asked = 0;
    vx::CallResult result = call("ask_host", {41}, [&](const vx::Event& event) {
        ++asked;
        if (event.kind != vx::EventKind::Syscall || regs().eax != kHostAsk || regs().ebx != 41) return false;
        regs().eax = 100;
        return true;
    });
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 101u);
    EXPECT_EQ(asked, 1);
}

TEST_P(Call, WithoutAHandlerOrWhenItDeclinesAnEventEndsTheCall) {
    const vx::Registers before = regs();
    vx::CallResult result = call("ask_host", {41});
    ASSERT_FALSE(result.returned);
    EXPECT_EQ(result.event.kind, vx::EventKind::Syscall);
    EXPECT_TRUE(same(regs(), before));
    result = call("ask_host", {41}, [](const vx::Event&) { return false; });
    ASSERT_FALSE(result.returned);
    EXPECT_EQ(result.event.kind, vx::EventKind::Syscall);
    EXPECT_TRUE(same(regs(), before));
}

TEST_P(Call, AnExitEndsTheCallWhateverTheHandlerSays) {
    vx::CallResult result = call("ask_host", {41}, [&](const vx::Event&) {
        sandbox_->finish(3);
        return true;
    });
    ASSERT_FALSE(result.returned);
    ASSERT_EQ(result.event.kind, vx::EventKind::Exit);
    EXPECT_EQ(result.event.exit_status, 3);
}

TEST_P(Call, AnExceptionOfTheHandlerStillPutsTheRegistersBack) {
    const vx::Registers before = regs();
    EXPECT_THROW(call("ask_host", {41}, [](const vx::Event&) -> bool { throw std::runtime_error("host"); }),
                 std::runtime_error);
    EXPECT_TRUE(same(regs(), before));
}

TEST_P(Call, CallsNestThroughTheHandler) {
    const vx::Registers before = regs();
    const uint32_t nest = entry("nest");
    int depth = 0, deepest = 0;
    vx::CallHandler on_event = [&](const vx::Event& event) {
        if (event.kind != vx::EventKind::Syscall || regs().eax != kHostNest) return false;
        const vx::Registers at_call = regs();
        ++depth;
        deepest = std::max(deepest, depth);
        vx::CallResult inner = sandbox_->call(nest, std::vector<uint32_t>{regs().ebx}, on_event);
        --depth;
        if (!inner.returned) return false;
        EXPECT_TRUE(same(regs(), at_call)) << "the inner call put back the registers it found";
        regs().eax = inner.eax();
        return true;
    };
    vx::CallResult result = sandbox_->call(nest, std::vector<uint32_t>{3}, on_event);
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 1123u);
    EXPECT_EQ(deepest, 3);
    EXPECT_TRUE(same(regs(), before));
}

TEST_P(Call, FunctionsAreFoundByNameOnly) {
    EXPECT_TRUE(vx::elf_symbol(file_, "add"));
    EXPECT_TRUE(vx::elf_symbol(file_, "main"));
    EXPECT_NE(vx::elf_symbol(file_, "add"), vx::elf_symbol(file_, "sum"));
    EXPECT_FALSE(vx::elf_symbol(file_, "no_such_function"));
    EXPECT_FALSE(vx::elf_symbol(file_, "ad"));
    EXPECT_FALSE(vx::elf_symbol(file_, "add_"));
    EXPECT_FALSE(vx::elf_symbol(file_, ""));
    EXPECT_FALSE(vx::elf_symbol(file_, std::string_view("add\0", 4)));
    EXPECT_FALSE(vx::elf_symbol(file_, "plugin_data")) << "an object, not a function";
}

TEST_P(Call, AMappedTrapPageIsRefusedBeforeAnythingRuns) {
    const vx::Registers before = regs();
    ASSERT_TRUE(sandbox_->memory().map(vx::kCallReturnAddress, vx::kPageSize, vx::kRead | vx::kExec));
    EXPECT_THROW(call("add", {1, 2}), vx::Error);
    EXPECT_TRUE(same(regs(), before));
    ASSERT_TRUE(sandbox_->memory().unmap(vx::kCallReturnAddress, vx::kPageSize));
    // Mapped by the handler, during the call: refused before the guest runs on.
    EXPECT_THROW(call("ask_host", {1},
                      [&](const vx::Event&) {
                          return sandbox_->memory().map(vx::kCallReturnAddress, vx::kPageSize, vx::kRead);
                      }),
                 vx::Error);
    EXPECT_TRUE(same(regs(), before));
}

TEST_P(Call, AStackWithoutRoomIsRefusedBeforeAnythingRuns) {
    const std::vector<uint32_t> args = {1, 2};
    for (uint32_t esp : {kStackBase + 4, kStackBase + 8, kStackBase, kStackBase - 64, 0u, 16u, 0xfffffff0u}) {
        regs().esp = esp;
        const vx::Registers before = regs();
        EXPECT_THROW(sandbox_->call(entry("add"), args), vx::Error) << "esp " << std::hex << esp;
        EXPECT_TRUE(same(regs(), before));
    }
    // A read-only stack.
    regs().esp = kStackTop;
    ASSERT_TRUE(sandbox_->memory().protect(kStackBase, kStackSize, vx::kRead));
    EXPECT_THROW(sandbox_->call(entry("add"), args), vx::Error);
    ASSERT_TRUE(sandbox_->memory().protect(kStackBase, kStackSize, vx::kRead | vx::kWrite));
    // Just room enough: the arguments at kStackBase+16, the return address below.
    regs().esp = kStackBase + 24;
    vx::CallResult result = sandbox_->call(entry("add"), args);
    EXPECT_TRUE(result.returned) << vx::describe(result.event);
}

VX_FOR_EACH_ENGINE(Call);

}  // namespace
