// Core stands alone: this program links vx_core and nothing of any engine, and
// runs guests through an engine of its own (a toy that knows three
// instructions). It proves, by linking at all, that core names no engine, and
// shows what a second engine plugs into: Sandbox's own rules (finish, a
// recorded limit, the stack's growth, admission) hold whatever runs the guest.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>

#include "core/engine.h"
#include "vx/sandbox.h"

namespace {

// Interprets nop (90), push imm8 (6a ib) and int $0x80 (cd 80); anything else
// is an invalid instruction. Faults are precise: eip stays at the instruction.
class ToyEngine : public vx::Engine {
public:
    explicit ToyEngine(vx::GuestMemory& memory) : memory_(memory) {}

    vx::Event run(vx::Registers& regs) override {
        ++runs;
        for (;;) {
            uint8_t insn[2] = {};
            if (!memory_.read(regs.eip, insn, 1))
                return fault(vx::FaultKind::PageFault, regs.eip, regs.eip);
            if (insn[0] == 0x90) {
                regs.eip += 1;
            } else if (insn[0] == 0x6a && memory_.read(regs.eip + 1, insn + 1, 1)) {
                const uint32_t value = uint32_t(int32_t(int8_t(insn[1]))), slot = regs.esp - 4;
                // As hardware does: what is not mapped writable faults (the
                // host's accessors would grow the stack themselves).
                if (!(memory_.perms_at(slot) & vx::kWrite)) return fault(vx::FaultKind::PageFault, regs.eip, slot);
                memory_.write(slot, &value, 4);
                regs.esp = slot;
                regs.eip += 2;
            } else if (insn[0] == 0xcd && memory_.read(regs.eip + 1, insn + 1, 1) && insn[1] == 0x80) {
                regs.eip += 2;
                return vx::Event{vx::EventKind::Syscall};
            } else {
                return fault(vx::FaultKind::InvalidInstruction, regs.eip, {});
            }
        }
    }

    void set_segment(vx::SegmentRegister which, uint16_t selector, uint32_t base) override {
        segments_[size_t(which)] = {selector, base};
    }
    void set_descriptors(const vx::SegmentDescriptors& table) override { descriptors = table; }
    void set_selectors(const vx::FlatSelectors&) override {}
    vx::Segment segment(vx::SegmentRegister which) const override { return segments_[size_t(which)]; }
    std::vector<uint8_t> extended_state() const override { return extended_; }
    bool set_extended_state(std::span<const uint8_t> image) override {
        if (image.size() != extended_.size()) return false;
        extended_.assign(image.begin(), image.end());
        return true;
    }
    bool prepare_fork() override { return true; }
    void finish_fork(bool) override {}
    std::vector<long> host_calls() const override { return {}; }
    std::string describe_instruction(uint32_t eip) const override { return "toy instruction at " + std::to_string(eip); }
    void guest_replaced(bool) override {}
    std::vector<vx::HostRegion> host_regions() const override { return {}; }
    void interrupt() override { interrupted_ = true; }
    bool stop_pending() const override { return interrupted_; }
    long blocking_host_call(long, const std::array<long, 6>&) override { return -38; }  // ENOSYS
    std::optional<uint64_t> fuel() const override { return std::nullopt; }
    void add_fuel(uint64_t) override {}
    uint64_t take_fuel() override { return 0; }
    void set_cpu_time_limit(uint64_t) override {}
    uint64_t host_bytes() const override { return 0; }
    void add_usage(vx::Usage& usage) const override { usage.engine = {{"toy_runs", runs}}; }

    uint64_t runs = 0;
    vx::SegmentDescriptors descriptors;

private:
    static vx::Event fault(vx::FaultKind kind, uint32_t eip, std::optional<uint32_t> address) {
        vx::Event event{vx::EventKind::Fault};
        event.fault = vx::Fault{kind, eip, address};
        return event;
    }

    vx::GuestMemory& memory_;
    std::array<vx::Segment, 2> segments_{};
    std::vector<uint8_t> extended_ = std::vector<uint8_t>(576, 0);
    bool interrupted_ = false;
};

constexpr uint32_t kCode = 0x10000, kStackTop = 0x80000;

class CoreAlone : public ::testing::Test {
protected:
    CoreAlone()
        : sandbox_(vx::SandboxOptions{.memory_size = 1u << 20},
                   [](vx::GuestMemory& memory, const vx::SandboxOptions&) { return std::make_unique<ToyEngine>(memory); }) {
        sandbox_.memory().map(kCode, 0x1000, vx::kRead | vx::kExec);
        sandbox_.registers().eip = kCode;
    }
    void place(std::initializer_list<uint8_t> code) {
        std::vector<uint8_t> bytes(code);
        sandbox_.memory().protect(kCode, 0x1000, vx::kRead | vx::kWrite);
        ASSERT_TRUE(sandbox_.memory().write(kCode, bytes.data(), bytes.size()));
        sandbox_.memory().protect(kCode, 0x1000, vx::kRead | vx::kExec);
    }
    vx::Sandbox sandbox_;
};

TEST_F(CoreAlone, RunsAGuestToItsSystemCall) {
    place({0x90, 0x90, 0xcd, 0x80});
    ASSERT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(sandbox_.registers().eip, kCode + 4);
    EXPECT_EQ(sandbox_.usage().engine_stat("toy_runs"), 1u);
    EXPECT_EQ(sandbox_.describe_instruction(kCode), "toy instruction at 65536");
}

TEST_F(CoreAlone, FinishAndRecordedLimitsStopItWithoutTheEngine) {
    place({0xcd, 0x80});
    sandbox_.exceed({vx::Limit::Output, 10, 5});
    vx::Event event = sandbox_.run();
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded);
    EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::Output);
    sandbox_.finish(7);
    event = sandbox_.run();
    ASSERT_EQ(event.kind, vx::EventKind::Exit);
    EXPECT_EQ(event.exit_status, 7);
    EXPECT_EQ(sandbox_.usage().engine_stat("toy_runs"), 0u) << "the engine never ran";
}

TEST_F(CoreAlone, TheStackGrowsForAnyEngineThatFaultsPrecisely) {
    vx::GuestMemory& memory = sandbox_.memory();
    memory.map(kStackTop - 0x1000, 0x1000, vx::kRead | vx::kWrite);
    memory.set_grow_down(kStackTop - 0x20000, kStackTop - 0x1000);
    sandbox_.registers().esp = kStackTop - 0x1000;  // the next push is below what is mapped
    place({0x6a, 0x2a, 0xcd, 0x80});
    ASSERT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    uint32_t pushed = 0;
    ASSERT_TRUE(memory.read(kStackTop - 0x1004, &pushed, 4));
    EXPECT_EQ(pushed, 42u);
    EXPECT_EQ(sandbox_.usage().engine_stat("toy_runs"), 2u) << "the fault, then the run again once grown";
}

TEST_F(CoreAlone, WhatItCannotRunIsTheEnginesFault) {
    place({0x0f, 0x0b});
    vx::Event event = sandbox_.run();
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::InvalidInstruction);
    EXPECT_EQ(event.fault.eip, kCode);
}

TEST(CoreAloneDescriptors, TheEngineHearsOfThemAndLoadsResolveAsOnACpu) {
    ToyEngine* toy = nullptr;
    vx::Sandbox sandbox(vx::SandboxOptions{.memory_size = 1u << 20}, [&](vx::GuestMemory& memory, const vx::SandboxOptions&) {
        auto engine = std::make_unique<ToyEngine>(memory);
        toy = engine.get();
        return engine;
    });
    ASSERT_TRUE(sandbox.set_descriptor(12, 0x4000));
    EXPECT_EQ(toy->descriptors, sandbox.descriptors());
    EXPECT_EQ(toy->descriptors.base(12), 0x4000u);

    EXPECT_TRUE(sandbox.load_segment(vx::SegmentRegister::gs, 12 << 3 | 3));
    EXPECT_EQ(sandbox.segment(vx::SegmentRegister::gs), (vx::Segment{12 << 3 | 3, 0x4000}));
    EXPECT_FALSE(sandbox.load_segment(vx::SegmentRegister::gs, 13 << 3 | 3));
    EXPECT_EQ(sandbox.segment(vx::SegmentRegister::gs), (vx::Segment{12 << 3 | 3, 0x4000})) << "refused: unchanged";
    EXPECT_TRUE(sandbox.load_segment(vx::SegmentRegister::fs, 3));
    EXPECT_EQ(sandbox.segment(vx::SegmentRegister::fs), (vx::Segment{3, 0}));

    sandbox.clear_descriptor(12);
    EXPECT_FALSE(toy->descriptors.base(12));
    EXPECT_EQ(sandbox.segment(vx::SegmentRegister::gs), (vx::Segment{12 << 3 | 3, 0x4000}))
        << "a loaded register keeps its base";
    EXPECT_FALSE(sandbox.load_segment(vx::SegmentRegister::gs, 12 << 3 | 3));
}

TEST(CoreAloneFactory, AFactoryThatMakesNoEngineIsRefused) {
    EXPECT_THROW(vx::Sandbox(vx::SandboxOptions{.memory_size = 1u << 20},
                             [](vx::GuestMemory&, const vx::SandboxOptions&) { return std::unique_ptr<vx::Engine>(); }),
                 vx::Error);
}

}  // namespace
