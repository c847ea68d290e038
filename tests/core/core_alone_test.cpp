// Core stands alone: this program links vx_core and nothing of any engine, and
// runs guests through an engine of its own (a toy that knows a few
// instructions of i386 and of x86-64). It proves, by linking at all, that core
// names no engine, and shows what a second engine plugs into: Sandbox's own
// rules (finish, a recorded limit, the stack's growth, admission) hold
// whatever runs the guest, the CPU state of either arch goes through Sandbox,
// run and snapshots whole, and with only the stop_soon hook, interrupt(), the
// time limits and blocking host calls stop its guest.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/engine.h"
#include "vx/sandbox.h"
#include "vx/snapshot.h"

namespace {

// i386: interprets nop (90), push imm8 (6a ib), jmp rel8 (eb cb) and
// int $0x80 (cd 80). x86-64: nop (90), inc rax (48 ff c0) and syscall (0f 05).
// Anything else is an invalid instruction. Faults are precise: the
// instruction pointer stays at the instruction. It stops between
// instructions once stop_soon was called, and knows nothing else of
// interrupts or time.
class ToyEngine : public vx::Engine {
public:
    explicit ToyEngine(vx::GuestMemory& memory) : memory_(memory) {}

    vx::Event run(vx::CpuState& cpu) override {
        ++runs;
        return cpu.arch() == vx::Arch::x86_64 ? run_x86_64(cpu.x86_64()) : run_i386(cpu.i386());
    }

    vx::Event run_i386(vx::Registers& regs) {
        for (;;) {
            if (stop_.exchange(false)) return vx::Event{vx::EventKind::Interrupted};
            // A test's watchdog gave up: an event no stop makes, so the test fails rather than hangs.
            if (give_up) return fault(vx::FaultKind::Breakpoint, regs.eip, {});
            looping = true;
            ++instructions;
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
            } else if (insn[0] == 0xeb && memory_.read(regs.eip + 1, insn + 1, 1)) {
                regs.eip += 2 + uint32_t(int32_t(int8_t(insn[1])));
            } else if (insn[0] == 0xcd && memory_.read(regs.eip + 1, insn + 1, 1) && insn[1] == 0x80) {
                regs.eip += 2;
                return vx::Event{vx::EventKind::Syscall};
            } else {
                return fault(vx::FaultKind::InvalidInstruction, regs.eip, {});
            }
        }
    }

    vx::Event run_x86_64(vx::Registers64& regs) {
        for (;;) {
            if (stop_.exchange(false)) return vx::Event{vx::EventKind::Interrupted};
            // Guest memory, and Fault's addresses, are 32-bit.
            if (regs.rip > UINT32_MAX) return fault(vx::FaultKind::SegmentBounds, 0, {});
            const uint32_t rip = uint32_t(regs.rip);
            uint8_t insn[3] = {};
            if (!memory_.read(rip, insn, 1)) return fault(vx::FaultKind::PageFault, rip, rip);
            if (insn[0] == 0x90) {
                regs.rip += 1;
            } else if (insn[0] == 0x48 && memory_.read(rip, insn, 3) && insn[1] == 0xff && insn[2] == 0xc0) {
                regs.rax += 1;
                regs.rip += 3;
            } else if (insn[0] == 0x0f && memory_.read(rip, insn, 2) && insn[1] == 0x05) {
                regs.rcx = regs.rip + 2;  // as syscall does: the return address in rcx, rflags in r11
                regs.r11 = regs.rflags;
                regs.rip += 2;
                return vx::Event{vx::EventKind::Syscall};
            } else {
                return fault(vx::FaultKind::InvalidInstruction, rip, {});
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
    // The one hook for stops: any thread, async-signal-safe.
    void stop_soon(void*) override { stop_.store(true); }
    bool limit_reached() const override { return false; }
    std::optional<uint64_t> fuel() const override { return std::nullopt; }
    void add_fuel(uint64_t) override {}
    uint64_t take_fuel() override { return 0; }
    uint64_t host_bytes() const override { return 0; }
    void add_usage(vx::Usage& usage) const override { usage.engine = {{"toy_runs", runs}}; }
    void restart_usage() override { runs = 0; }

    uint64_t runs = 0;
    uint64_t instructions = 0;
    std::atomic<bool> looping{false};  // it has run an instruction
    std::atomic<bool> give_up{false};
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
    std::atomic<bool> stop_{false};
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

// A call into the guest is core's for any engine: the frame it pushes, the
// return recognised at kCallReturnAddress (here the guest's handler jumps
// there, as a guest may), the registers put back.
TEST_F(CoreAlone, ACallReturnsThroughItsTrapAddressWhateverTheEngine) {
    vx::GuestMemory& memory = sandbox_.memory();
    memory.map(kStackTop - 0x1000, 0x1000, vx::kRead | vx::kWrite);
    place({0xcd, 0x80});
    sandbox_.registers().esp = kStackTop - 8;
    sandbox_.registers().eip = kCode + 2;
    const vx::Registers before = sandbox_.registers();
    const uint32_t args[] = {7, 8};
    std::vector<uint32_t> frame(3);
    vx::CallResult result = sandbox_.call(kCode, args, [&](const vx::Event& event) {
        EXPECT_EQ(event.kind, vx::EventKind::Syscall);
        vx::Registers& regs = sandbox_.registers();
        EXPECT_EQ((regs.esp + 4) % 16, 0u);
        EXPECT_LT(regs.esp, kStackTop - 8);
        EXPECT_TRUE(memory.read(regs.esp, frame.data(), 12));
        regs.eax = 42;
        regs.edx = 1;
        regs.eip = vx::kCallReturnAddress;
        return true;
    });
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.value, (1ull << 32) | 42);
    EXPECT_EQ(frame, (std::vector<uint32_t>{vx::kCallReturnAddress, 7, 8}));
    EXPECT_EQ(std::memcmp(&sandbox_.registers(), &before, sizeof before), 0);
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

// The CPU state: either arch's registers, and the arch they are.

std::unique_ptr<vx::Engine> make_toy(vx::GuestMemory& memory, const vx::SandboxOptions&) {
    return std::make_unique<ToyEngine>(memory);
}

vx::SandboxOptions toy_options(vx::Arch arch) { return {.arch = arch, .memory_size = 1u << 20}; }

// What `action` throws as vx::Error ("" when it throws nothing).
template <class Action>
std::string error_of(Action action) {
    try {
        action();
    } catch (const vx::Error& error) {
        return error.what();
    }
    return "";
}

bool names_both_arches(const std::string& message) {
    return message.find("i386") != std::string::npos && message.find("x86_64") != std::string::npos;
}

constexpr uint64_t kAbove32Bits = 0x1'2345'6789'abcdull;

TEST(CpuState, HoldsOneArchsRegisters) {
    EXPECT_EQ(vx::CpuState().arch(), vx::Arch::i386);
    EXPECT_STREQ(vx::to_string(vx::Arch::i386), "i386");
    EXPECT_STREQ(vx::to_string(vx::Arch::x86_64), "x86_64");

    vx::CpuState cpu(vx::Arch::x86_64);
    ASSERT_EQ(cpu.arch(), vx::Arch::x86_64);
    vx::Registers64& r = cpu.x86_64();
    EXPECT_EQ(r.rax | r.r15 | r.rip, 0u);
    EXPECT_EQ(r.rflags, 0x202u);
    for (unsigned i = 0; i < 16; ++i) r.gpr(i) = kAbove32Bits + i;  // encoding order
    EXPECT_EQ(r.rax, kAbove32Bits);
    EXPECT_EQ(r.rsp, kAbove32Bits + 4);
    EXPECT_EQ(r.rdi, kAbove32Bits + 7);
    EXPECT_EQ(r.r8, kAbove32Bits + 8);
    EXPECT_EQ(r.r15, kAbove32Bits + 15);

    EXPECT_TRUE(names_both_arches(error_of([&] { cpu.i386(); })));
    EXPECT_TRUE(names_both_arches(error_of([&] { std::as_const(cpu).i386(); })));
    const vx::CpuState i386;
    EXPECT_TRUE(names_both_arches(error_of([] { vx::CpuState().x86_64(); })));
    EXPECT_TRUE(names_both_arches(error_of([&] { i386.x86_64(); })));
    EXPECT_THROW(vx::CpuState(vx::Arch(7)), vx::Error);
}

class CoreAloneX86_64 : public ::testing::Test {
protected:
    CoreAloneX86_64() : sandbox_(toy_options(vx::Arch::x86_64), make_toy) {
        sandbox_.memory().map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
        regs().rip = kCode;
    }
    void place(std::initializer_list<uint8_t> code) {
        std::vector<uint8_t> bytes(code);
        ASSERT_TRUE(sandbox_.memory().write(kCode, bytes.data(), bytes.size()));
    }
    vx::Registers64& regs() { return sandbox_.cpu().x86_64(); }
    vx::Sandbox sandbox_;
};

TEST_F(CoreAloneX86_64, RunsWithItsRegistersWhole) {
    place({0x48, 0xff, 0xc0, 0x90, 0x0f, 0x05});  // inc rax; nop; syscall
    regs().rax = 0xffff'ffff;
    regs().r15 = kAbove32Bits;
    ASSERT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(sandbox_.cpu().arch(), vx::Arch::x86_64);
    EXPECT_EQ(regs().rax, 0x1'0000'0000ull) << "the carry out of the low 32 bits was lost";
    EXPECT_EQ(regs().r15, kAbove32Bits);
    EXPECT_EQ(regs().rip, kCode + 6);
    EXPECT_EQ(regs().rcx, kCode + 6);
}

TEST_F(CoreAloneX86_64, ASnapshotKeepsItsRegistersWhole) {
    place({0x48, 0xff, 0xc0, 0x0f, 0x05});  // inc rax; syscall
    regs().rax = kAbove32Bits;
    regs().r15 = ~kAbove32Bits;
    ASSERT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    const vx::Registers64 taken = regs();
    auto snapshot = sandbox_.snapshot();
    ASSERT_EQ(snapshot->cpu().arch(), vx::Arch::x86_64);
    EXPECT_EQ(std::memcmp(&snapshot->cpu().x86_64(), &taken, sizeof taken), 0);
    EXPECT_EQ(snapshot->cpu().x86_64().rax, kAbove32Bits + 1);

    // The guest goes on, then is made the snapshot's again.
    regs().rip = kCode;
    ASSERT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    ASSERT_EQ(regs().rax, kAbove32Bits + 2);
    sandbox_.restore(*snapshot);
    EXPECT_EQ(std::memcmp(&regs(), &taken, sizeof taken), 0);

    // And another x86-64 sandbox the snapshot's, which runs on from there.
    vx::Sandbox other(toy_options(vx::Arch::x86_64), make_toy);
    other.restore(*snapshot);
    EXPECT_EQ(std::memcmp(&other.cpu().x86_64(), &taken, sizeof taken), 0);
    other.cpu().x86_64().rip = kCode;
    ASSERT_EQ(other.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(other.cpu().x86_64().rax, kAbove32Bits + 2);
    EXPECT_EQ(other.cpu().x86_64().r15, ~kAbove32Bits);
}

TEST_F(CoreAloneX86_64, ASnapshotOfOneArchIsRefusedByASandboxOfTheOther) {
    regs().rax = kAbove32Bits;
    auto snapshot64 = sandbox_.snapshot();
    vx::Sandbox sandbox32(toy_options(vx::Arch::i386), make_toy);
    sandbox32.registers().eax = 99;
    auto snapshot32 = sandbox32.snapshot();

    EXPECT_TRUE(names_both_arches(error_of([&] { sandbox32.restore(*snapshot64); })));
    EXPECT_EQ(sandbox32.cpu().arch(), vx::Arch::i386);
    EXPECT_EQ(sandbox32.registers().eax, 99u);
    EXPECT_TRUE(names_both_arches(error_of([&] { sandbox_.restore(*snapshot32); })));
    EXPECT_EQ(sandbox_.cpu().arch(), vx::Arch::x86_64);
    EXPECT_EQ(regs().rax, kAbove32Bits);
}

TEST_F(CoreAloneX86_64, TheI386ShorthandsRefuseIt) {
    EXPECT_TRUE(names_both_arches(error_of([&] { sandbox_.registers(); })));
    auto snapshot = sandbox_.snapshot();
    EXPECT_TRUE(names_both_arches(error_of([&] { snapshot->registers(); })));
    // The i386 program loader: refused before anything changes.
    uint32_t marker = 0x5a5a5a5a;
    ASSERT_TRUE(sandbox_.memory().write(kCode, &marker, sizeof marker));
    const std::vector<uint8_t> not_read(64, 0);
    EXPECT_THROW(sandbox_.check_program(not_read), vx::ElfError);
    EXPECT_THROW(sandbox_.load_program(not_read), vx::ElfError);
    uint32_t seen = 0;
    EXPECT_TRUE(sandbox_.memory().read(kCode, &seen, sizeof seen));
    EXPECT_EQ(seen, marker);
    EXPECT_EQ(regs().rip, kCode);
}

TEST_F(CoreAloneX86_64, ACallIntoItIsRefused) {
    EXPECT_THROW(sandbox_.call(kCode), vx::Error);
    EXPECT_EQ(sandbox_.usage().engine_stat("toy_runs"), 0u);
}

TEST_F(CoreAloneX86_64, RegistersOfAnotherArchAreNotRun) {
    place({0x0f, 0x05});
    sandbox_.cpu() = vx::Registers{.eip = kCode};
    EXPECT_TRUE(names_both_arches(error_of([&] { sandbox_.run(); })));
    EXPECT_EQ(sandbox_.usage().engine_stat("toy_runs"), 0u) << "the engine was given the wrong registers";
}

// Stops: what core does for every engine, with only the stop_soon hook.

vx::EngineLimits cpu_time_limit(uint64_t ns) {
    vx::EngineLimits limits;
    limits.cpu_time_ns = ns;
    return limits;
}

vx::EngineLimits wall_time_limit(uint64_t ns) {
    vx::EngineLimits limits;
    limits.wall_time_ns = ns;
    return limits;
}

// A guest that loops forever (jmp to itself): only a stop ends its run.
struct LoopingGuest {
    explicit LoopingGuest(vx::EngineLimits limits = {})
        : sandbox(vx::SandboxOptions{.memory_size = 1u << 20, .limits = limits},
                  [this](vx::GuestMemory& memory, const vx::SandboxOptions&) {
                      auto engine = std::make_unique<ToyEngine>(memory);
                      toy = engine.get();
                      return engine;
                  }) {
        const uint8_t jmp_to_itself[] = {0xeb, 0xfe};
        sandbox.memory().map(kCode, 0x1000, vx::kRead | vx::kWrite);
        sandbox.memory().write(kCode, jmp_to_itself, sizeof jmp_to_itself);
        sandbox.memory().protect(kCode, 0x1000, vx::kRead | vx::kExec);
        sandbox.registers().eip = kCode;
    }
    ToyEngine* toy = nullptr;  // made by the factory, before `sandbox` is done
    vx::Sandbox sandbox;
};

// Fails a test rather than letting it hang: after a minute `give_up` makes
// whatever waits return, and the test's assertions fail on what it returns.
class Watchdog {
public:
    explicit Watchdog(std::function<void()> give_up)
        : thread_([this, give_up = std::move(give_up)] {
              std::unique_lock lock(mutex_);
              if (!done_changed_.wait_for(lock, std::chrono::seconds(60), [this] { return done_; })) {
                  fired_ = true;
                  give_up();
              }
          }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        done_changed_.notify_all();
        thread_.join();
    }
    bool fired() const { return fired_; }

private:
    std::mutex mutex_;
    std::condition_variable done_changed_;
    bool done_ = false;
    std::atomic<bool> fired_{false};
    std::thread thread_;
};

TEST(CoreAloneStops, InterruptFromAnotherThreadStopsAGuestThatLoopsForever) {
    LoopingGuest guest;
    Watchdog watchdog([&] { guest.toy->give_up = true; });
    std::thread interrupter([&] {
        while (!guest.toy->looping && !watchdog.fired()) std::this_thread::yield();
        guest.sandbox.interrupt();
    });
    vx::Event event = guest.sandbox.run();
    interrupter.join();
    ASSERT_EQ(event.kind, vx::EventKind::Interrupted) << vx::describe(event);
    EXPECT_EQ(guest.sandbox.registers().eip, kCode) << "still at its jmp";
    EXPECT_FALSE(guest.sandbox.stop_pending()) << "the stop was reported";
}

TEST(CoreAloneStops, AnInterruptBeforeTheRunStopsItBeforeAnyInstruction) {
    LoopingGuest guest;
    guest.sandbox.interrupt();
    EXPECT_TRUE(guest.sandbox.stop_pending());
    vx::Event event = guest.sandbox.run();
    ASSERT_EQ(event.kind, vx::EventKind::Interrupted) << vx::describe(event);
    EXPECT_EQ(guest.toy->instructions, 0u);
}

TEST(CoreAloneStops, CpuTimeLimitStopsItAndStaysUntilMoved) {
    constexpr uint64_t kLimit = 20'000'000;
    LoopingGuest guest(cpu_time_limit(kLimit));
    Watchdog watchdog([&] { guest.toy->give_up = true; });
    vx::Event event = guest.sandbox.run();
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
    EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::CpuTime);
    EXPECT_EQ(event.limit_exceeded.maximum, kLimit);
    EXPECT_GE(event.limit_exceeded.used, kLimit);
    EXPECT_GE(guest.sandbox.usage().cpu_time_ns, kLimit);

    const uint64_t runs = guest.toy->runs;
    vx::Event again = guest.sandbox.run();
    ASSERT_EQ(again.kind, vx::EventKind::LimitExceeded) << vx::describe(again);
    EXPECT_EQ(again.limit_exceeded.limit, vx::Limit::CpuTime);
    EXPECT_EQ(guest.toy->runs, runs) << "a limit reached is core's to report: the engine does not run";
    EXPECT_TRUE(guest.sandbox.stop_pending());

    const uint64_t moved = event.limit_exceeded.used + kLimit;
    guest.sandbox.set_cpu_time_limit(moved);
    EXPECT_FALSE(guest.sandbox.stop_pending());
    event = guest.sandbox.run();
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
    EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::CpuTime);
    EXPECT_EQ(event.limit_exceeded.maximum, moved);
    EXPECT_GE(event.limit_exceeded.used, moved);
    EXPECT_GT(guest.toy->runs, runs);
}

TEST(CoreAloneStops, WallTimeLimitStopsIt) {
    constexpr uint64_t kLimit = 20'000'000;
    LoopingGuest guest(wall_time_limit(kLimit));
    Watchdog watchdog([&] { guest.toy->give_up = true; });
    vx::Event event = guest.sandbox.run();
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
    EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::WallTime);
    EXPECT_EQ(event.limit_exceeded.maximum, kLimit);
    EXPECT_GE(event.limit_exceeded.used, kLimit);
    EXPECT_GE(guest.sandbox.usage().wall_time_ns, kLimit);
}

TEST(CoreAloneStops, ABlockingHostCallEndsWithEintrOnInterrupt) {
    LoopingGuest guest;
    int ends[2];
    ASSERT_EQ(pipe(ends), 0);
    char byte = 'x';
    ASSERT_EQ(write(ends[1], &byte, 1), 1);
    EXPECT_EQ(guest.sandbox.blocking_host_call(SYS_read, ends[0], reinterpret_cast<long>(&byte), 1), 1)
        << "nothing to stop for: the call is made";

    {
        Watchdog watchdog([&] { (void)!write(ends[1], &byte, 1); });
        // Before the call or while it blocks (most likely): -EINTR either way.
        std::thread interrupter([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            guest.sandbox.interrupt();
        });
        long result = guest.sandbox.blocking_host_call(SYS_read, ends[0], reinterpret_cast<long>(&byte), 1);
        interrupter.join();
        EXPECT_EQ(result, -EINTR);
    }
    EXPECT_TRUE(guest.sandbox.stop_pending());
    EXPECT_EQ(guest.sandbox.blocking_host_call(SYS_read, ends[0], reinterpret_cast<long>(&byte), 1), -EINTR)
        << "a stop pending: not made at all";
    vx::Event event = guest.sandbox.run();
    EXPECT_EQ(event.kind, vx::EventKind::Interrupted) << vx::describe(event);
    EXPECT_EQ(guest.toy->instructions, 0u);
    close(ends[0]);
    close(ends[1]);
}

TEST(CoreAloneStops, AForkedChildArmsItsOwnTimers) {
    LoopingGuest guest(cpu_time_limit(20'000'000));
    guest.sandbox.interrupt();
    ASSERT_EQ(guest.sandbox.run().kind, vx::EventKind::Interrupted);  // it ran: the parent's timers are armed
    pid_t pid = guest.sandbox.fork_host_process();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        alarm(60);  // the watchdog: no timer of its own would leave it spinning
        vx::Event event = guest.sandbox.run();
        _exit(event.kind == vx::EventKind::LimitExceeded && event.limit_exceeded.limit == vx::Limit::CpuTime ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

// A sandbox that makes one system call (int $0x80) each run, and its time
// limits.
struct CallingGuest {
    explicit CallingGuest(vx::EngineLimits limits)
        : sandbox(vx::SandboxOptions{.memory_size = 1u << 20, .limits = limits}, make_toy) {
        const uint8_t call[] = {0xcd, 0x80};
        sandbox.memory().map(kCode, 0x1000, vx::kRead | vx::kWrite);
        sandbox.memory().write(kCode, call, sizeof call);
    }
    vx::Event run() {
        sandbox.registers().eip = kCode;
        return sandbox.run();
    }
    vx::Sandbox sandbox;
};

// A time limit's timer signal that comes after its sandbox is gone (a
// kernel may still deliver a deleted timer's queued signal: here it is
// queued again by hand) stops no later sandbox, one with no time limit or
// one whose limit is far away, though it may hold the same slot.
TEST(CoreAloneStops, AStaleTimerSignalStopsNoLaterSandbox) {
    sigset_t interrupt_only, before;
    sigemptyset(&interrupt_only);
    sigaddset(&interrupt_only, vx::Sandbox::interrupt_signal().signo);
    ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &interrupt_only, &before), 0);
    siginfo_t stale{};
    {
        CallingGuest expiring(wall_time_limit(1'000'000));
        ASSERT_EQ(expiring.run().kind, vx::EventKind::Syscall);  // its timers are armed
        const struct timespec a_minute{60, 0};
        ASSERT_EQ(sigtimedwait(&interrupt_only, &stale, &a_minute), vx::Sandbox::interrupt_signal().signo);
        ASSERT_EQ(stale.si_code, SI_TIMER);
    }
    vx::EngineLimits an_hour = wall_time_limit(3600'000'000'000ull);
    for (const vx::EngineLimits& limits : {vx::EngineLimits{}, an_hour}) {
        CallingGuest later(limits);
        ASSERT_EQ(later.run().kind, vx::EventKind::Syscall);
        siginfo_t again = stale;
        ASSERT_EQ(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), again.si_signo, &again), 0) << strerror(errno);
        ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &before, nullptr), 0);  // the handler takes it here
        const vx::Event event = later.run();
        EXPECT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
        ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &interrupt_only, nullptr), 0);
    }
    ASSERT_EQ(pthread_sigmask(SIG_SETMASK, &before, nullptr), 0);
}

TEST(CoreAloneStops, CoreNamesTheHostCallsItsStopsMake) {
    LoopingGuest guest;
    const std::vector<long> calls = guest.sandbox.host_calls();
    for (long call : {long(SYS_timer_create), long(SYS_timer_settime), long(SYS_tgkill), long(SYS_rt_sigaction)})
        EXPECT_NE(std::find(calls.begin(), calls.end(), call), calls.end()) << "call " << call;
}

}  // namespace
