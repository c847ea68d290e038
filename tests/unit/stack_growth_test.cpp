// The stack's grow-down region: GuestMemory maps it as it is used (by the
// host's accessors and, through Sandbox::run, by guest instructions), admits
// what it maps, and stops at a mapped page and at the region's floor. The
// guest instructions that store below esp must fault precisely for that: the
// instruction runs again once the stack grew, so a register it had already
// changed would be changed twice.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "engines.h"
#include "vx/sandbox.h"

namespace {

constexpr uint32_t kPage = vx::kPageSize;
constexpr uint32_t kGranule = vx::GuestMemory::kGrowGranule;
constexpr uint32_t kTop = 0x800000;           // one past the stack
constexpr uint32_t kLow = kTop - 0x10000;     // its lowest mapped byte: 64 KiB mapped
constexpr uint32_t kFloor = kLow - 0x100000;  // 1 MiB more may grow
using Growth = vx::GuestMemory::Growth;

class GuestMemoryGrowDown : public ::testing::Test {
protected:
    GuestMemoryGrowDown() {
        EXPECT_TRUE(memory_.map(kLow, kTop - kLow, vx::kRead | vx::kWrite));
        memory_.set_grow_down(kFloor, kLow);
        memory_.set_admission([this](uint64_t bytes) {
            asked_.push_back(bytes);
            return admit_;
        });
    }
    bool mapped_between(uint32_t from, uint32_t to) {
        for (uint32_t p = from; p < to; p += kPage)
            if (memory_.perms_at(p) != (vx::kRead | vx::kWrite)) return false;
        return true;
    }

    vx::GuestMemory memory_{16u << 20};
    bool admit_ = true;
    std::vector<uint64_t> asked_;
};

TEST_F(GuestMemoryGrowDown, AnAccessMapsFromItsGranuleUpToTheStack) {
    const uint64_t before = memory_.mapped_bytes();
    const uint32_t addr = kLow - 3 * kGranule / 2;  // in the second granule below the stack
    EXPECT_EQ(memory_.grow_down_to(addr), Growth::Grown);
    const uint32_t bottom = kLow - 2 * kGranule;
    EXPECT_EQ(memory_.grow_down_low(), bottom);
    EXPECT_TRUE(mapped_between(bottom, kTop));
    EXPECT_EQ(memory_.perms_at(bottom - 1), vx::kNone);
    EXPECT_EQ(memory_.mapped_bytes(), before + (kLow - bottom));
    ASSERT_EQ(asked_.size(), 1u);
    EXPECT_EQ(asked_[0], kLow - bottom);  // admitted before it was mapped
    // Already mapped: nothing more to grow.
    EXPECT_EQ(memory_.grow_down_to(addr), Growth::None);
    EXPECT_EQ(asked_.size(), 1u);
}

TEST_F(GuestMemoryGrowDown, NothingIsMappedWhenTheAdmissionRefuses) {
    admit_ = false;
    const uint64_t before = memory_.mapped_bytes();
    EXPECT_EQ(memory_.grow_down_to(kLow - 4), Growth::Refused);
    EXPECT_EQ(memory_.mapped_bytes(), before);
    EXPECT_EQ(memory_.grow_down_low(), kLow);
    EXPECT_EQ(memory_.perms_at(kLow - 4), vx::kNone);
    uint32_t word = 7;
    EXPECT_FALSE(memory_.write(kLow - 4, &word, 4));
    admit_ = true;
    EXPECT_TRUE(memory_.write(kLow - 4, &word, 4));
}

TEST_F(GuestMemoryGrowDown, HostAccessorsGrowTheStack) {
    // A buffer that starts below the stack and ends in it, as read() into a
    // large local array.
    std::vector<uint8_t> data(0x30000, 0x5a);
    const uint32_t at = kLow - 0x28000;
    ASSERT_TRUE(memory_.write(at, data.data(), data.size()));
    EXPECT_EQ(memory_.grow_down_low(), kLow - 0x30000);  // rounded down to its granule
    std::vector<uint8_t> back(data.size());
    ASSERT_TRUE(memory_.read(at, back.data(), back.size()));
    EXPECT_EQ(back, data);
    // A read of pages never written grows too: they read as zero.
    uint32_t word = 1;
    ASSERT_TRUE(memory_.read(kFloor, &word, 4));
    EXPECT_EQ(word, 0u);
    EXPECT_EQ(memory_.grow_down_low(), kFloor);
    EXPECT_TRUE(mapped_between(kFloor, kTop));
}

TEST_F(GuestMemoryGrowDown, AMappedPageBetweenTheAccessAndTheStackStopsIt) {
    const uint32_t fixed = kLow - 0x40000;  // the guest's MAP_FIXED mapping in the region
    ASSERT_TRUE(memory_.map(fixed, kPage, vx::kRead));
    EXPECT_EQ(memory_.grow_down_to(fixed - 4), Growth::None);
    EXPECT_FALSE(memory_.accessible(fixed - 4, 4, vx::kWrite));
    EXPECT_EQ(memory_.grow_down_low(), kLow);
    EXPECT_TRUE(asked_.empty());
    // Above it the stack grows, its granule rounding stopping at the mapping.
    EXPECT_EQ(memory_.grow_down_to(fixed + kPage + 8), Growth::Grown);
    EXPECT_EQ(memory_.grow_down_low(), fixed + kPage);
    EXPECT_EQ(memory_.perms_at(fixed), vx::kRead);
    // Once it is gone, the stack grows past where it was.
    ASSERT_TRUE(memory_.unmap(fixed, kPage));
    EXPECT_EQ(memory_.grow_down_to(fixed - 4), Growth::Grown);
    EXPECT_TRUE(mapped_between(fixed - kPage, kTop));
}

TEST_F(GuestMemoryGrowDown, NothingGrowsBelowTheFloor) {
    EXPECT_EQ(memory_.grow_down_to(kFloor - 1), Growth::None);
    uint32_t word = 0;
    EXPECT_FALSE(memory_.write(kFloor - 4, &word, 4));
    EXPECT_EQ(memory_.grow_down_low(), kLow);
    // An access straddling the floor grows down to it, and still fails below.
    EXPECT_FALSE(memory_.write(kFloor - 2, &word, 4));
    EXPECT_EQ(memory_.grow_down_low(), kFloor);
    EXPECT_EQ(memory_.perms_at(kFloor - 1), vx::kNone);
    EXPECT_TRUE(memory_.write(kFloor, &word, 4));
}

TEST_F(GuestMemoryGrowDown, NoRegionNoGrowth) {
    memory_.set_grow_down(0, 0);
    EXPECT_EQ(memory_.grow_down_to(kLow - 4), Growth::None);
    EXPECT_FALSE(memory_.accessible(kLow - 4, 4, vx::kRead));
    EXPECT_TRUE(asked_.empty());
}

TEST_F(GuestMemoryGrowDown, RegionMustBePageAlignedInsideMemory) {
    EXPECT_THROW(memory_.set_grow_down(kFloor + 1, kLow), vx::Error);
    EXPECT_THROW(memory_.set_grow_down(kLow, kFloor), vx::Error);
    EXPECT_THROW(memory_.set_grow_down(kFloor, (16u << 20) + kPage), vx::Error);
}

// Guest instructions at the stack's edge: esp is the lowest mapped byte, so
// whatever they store below it faults, the stack grows and they run again.
constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kData = 0x20000;

class SandboxStackGrowth : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    SandboxStackGrowth() : sandbox_(options()) {
        auto& memory = sandbox_.memory();
        memory.map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
        memory.map(kData, 0x1000, vx::kRead | vx::kWrite);
        memory.map(kLow, kTop - kLow, vx::kRead | vx::kWrite);
        memory.set_grow_down(kFloor, kLow);
        regs().esp = kLow;
        sandbox_.set_memory_admission([this](uint64_t bytes) { return sandbox_.admit_memory(bytes, elsewhere_); });
    }
    static vx::SandboxOptions options() {
        vx::SandboxOptions o = vx::testing::on_engine(GetParam());
        o.memory_size = 16u << 20;
        o.limits.memory = kLimit;
        return o;
    }
    // Places `code` at kCode followed by `int $0x80`, and runs to that syscall.
    vx::Event run(std::vector<uint8_t> code) {
        code.push_back(0xcd);
        code.push_back(0x80);
        EXPECT_TRUE(sandbox_.memory().write(kCode, code.data(), code.size()));
        regs().eip = kCode;
        return sandbox_.run();
    }
    vx::Registers& regs() { return sandbox_.registers(); }
    uint32_t word(uint32_t addr) {
        uint32_t value = 0xdeadbeef;
        EXPECT_TRUE(sandbox_.memory().read(addr, &value, 4));
        return value;
    }

    static constexpr uint64_t kLimit = 64u << 20;
    uint64_t elsewhere_ = 0;
    vx::Sandbox sandbox_;
};

TEST_P(SandboxStackGrowth, PushAndPop) {
    // push 0x12345678; pop eax
    auto event = run({0x68, 0x78, 0x56, 0x34, 0x12, 0x58});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().eax, 0x12345678u);
    EXPECT_EQ(regs().esp, kLow);
    EXPECT_EQ(sandbox_.memory().grow_down_low(), kLow - kGranule);
}

TEST_P(SandboxStackGrowth, Call) {
    // call next; pop eax
    auto event = run({0xe8, 0, 0, 0, 0, 0x58});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().eax, kCode + 5);
    EXPECT_EQ(regs().esp, kLow);
}

TEST_P(SandboxStackGrowth, Enter) {
    // mov ebp, 0x11111111; enter 16, 0; mov eax, [ebp]
    auto event = run({0xbd, 0x11, 0x11, 0x11, 0x11, 0xc8, 0x10, 0x00, 0x00, 0x8b, 0x45, 0x00});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().ebp, kLow - 4);
    EXPECT_EQ(regs().esp, kLow - 20);
    EXPECT_EQ(regs().eax, 0x11111111u);
}

TEST_P(SandboxStackGrowth, PushadAndPushfdAndPushMemory) {
    // mov dword [kData], 0xcafe; mov eax, 1; pushad; pushfd; push dword [kData]
    auto event = run({0xc7, 0x05, 0x00, 0x00, 0x02, 0x00, 0xfe, 0xca, 0, 0, 0xb8, 1, 0, 0, 0, 0x60, 0x9c,
                      0xff, 0x35, 0x00, 0x00, 0x02, 0x00});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().esp, kLow - 40);
    EXPECT_EQ(word(kLow - 4), 1u);       // eax, pushed first
    EXPECT_EQ(word(kLow - 20), kLow);    // the esp pushad saw
    EXPECT_EQ(word(kLow - 40), 0xcafeu);
}

TEST_P(SandboxStackGrowth, MemoryDestinationAluOp) {
    // mov eax, 5; add [esp-4], eax; add [esp-4], eax; mov ebx, [esp-4]
    auto event = run({0xb8, 5, 0, 0, 0, 0x01, 0x44, 0x24, 0xfc, 0x01, 0x44, 0x24, 0xfc, 0x8b, 0x5c, 0x24, 0xfc});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().ebx, 10u);  // added twice, not three times
    EXPECT_EQ(regs().esp, kLow);
}

TEST_P(SandboxStackGrowth, RepStosDownAcrossSeveralGranules) {
    // mov edi, kLow-4; mov ecx, 0x9000; mov eax, 0xabcdabcd; std; rep stosd; cld
    auto event = run({0xbf, 0xfc, 0xff, 0x7e, 0x00, 0xb9, 0x00, 0x90, 0, 0, 0xb8, 0xcd, 0xab, 0xcd, 0xab,
                      0xfd, 0xf3, 0xab, 0xfc});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().ecx, 0u);
    EXPECT_EQ(regs().edi, kLow - 4 - 0x9000 * 4);
    EXPECT_EQ(word(kLow - 4), 0xabcdabcdu);
    EXPECT_EQ(word(kLow - 0x9000 * 4), 0xabcdabcdu);
    EXPECT_EQ(word(kLow - 0x9000 * 4 - 4), 0u);
    EXPECT_EQ(sandbox_.memory().grow_down_low(), kLow - 3 * kGranule);
}

TEST_P(SandboxStackGrowth, RepStosUpFromBelowTheStack) {
    // mov edi, kLow-0x20000; mov ecx, 0x8000; mov eax, 7; cld; rep stosd
    auto event = run({0xbf, 0x00, 0x00, 0x7d, 0x00, 0xb9, 0x00, 0x80, 0, 0, 0xb8, 7, 0, 0, 0, 0xfc, 0xf3, 0xab});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().ecx, 0u);
    EXPECT_EQ(regs().edi, kLow);
    EXPECT_EQ(word(kLow - 0x20000), 7u);
    EXPECT_EQ(word(kLow - 4), 7u);
}

TEST_P(SandboxStackGrowth, FxsaveFnstenvXsave) {
    // mov eax, 7; xor edx, edx; fxsave [esp-512]; fnstenv [esp-0x228]; xsave [esp-0x4000]
    auto event = run({0xb8, 7, 0, 0, 0, 0x31, 0xd2, 0x0f, 0xae, 0x84, 0x24, 0x00, 0xfe, 0xff, 0xff, 0xd9, 0xb4,
                      0x24, 0xd8, 0xfd, 0xff, 0xff, 0x0f, 0xae, 0xa4, 0x24, 0x00, 0xc0, 0xff, 0xff});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().esp, kLow);
    EXPECT_EQ(word(kLow - 512) & 0xffff, 0x37fu);    // fxsave's FCW
    EXPECT_EQ(word(kLow - 0x228) & 0xffff, 0x37fu);  // fnstenv's
    EXPECT_EQ(word(kLow - 0x4000) & 0xffff, 0x37fu); // xsave's
}

TEST_P(SandboxStackGrowth, IndirectCall) {
    const uint32_t target = kCode + 6;
    ASSERT_TRUE(sandbox_.memory().write(kData, &target, 4));
    // call [kData]; pop eax (the target)
    auto event = run({0xff, 0x15, 0x00, 0x00, 0x02, 0x00, 0x58});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().eax, kCode + 6);
    EXPECT_EQ(regs().esp, kLow);
}

TEST_P(SandboxStackGrowth, RepMovsIntoTheRegion) {
    std::vector<uint32_t> source(1024);
    for (uint32_t i = 0; i < source.size(); ++i) source[i] = i * 3 + 1;
    ASSERT_TRUE(sandbox_.memory().write(kData, source.data(), 4096));
    // mov esi, kData; lea edi, [esp-0x18000]; mov ecx, 0x400; cld; rep movsd
    auto event = run({0xbe, 0x00, 0x00, 0x02, 0x00, 0x8d, 0xbc, 0x24, 0x00, 0x80, 0xfe, 0xff, 0xb9, 0x00, 0x04, 0,
                      0, 0xfc, 0xf3, 0xa5});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().ecx, 0u);
    EXPECT_EQ(regs().esi, kData + 4096);
    EXPECT_EQ(regs().edi, kLow - 0x17000);
    std::vector<uint32_t> copied(1024);
    ASSERT_TRUE(sandbox_.memory().read(kLow - 0x18000, copied.data(), 4096));
    EXPECT_EQ(copied, source);
}

TEST_P(SandboxStackGrowth, Fnsave) {
    // fnsave [esp-0x30000]
    auto event = run({0xdd, 0xb4, 0x24, 0x00, 0x00, 0xfd, 0xff});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(word(kLow - 0x30000) & 0xffff, 0x37fu);
    EXPECT_EQ(sandbox_.memory().grow_down_low(), kLow - 0x30000);
}

TEST_P(SandboxStackGrowth, AStoreBelowAMappedPageInTheRegionFaults) {
    ASSERT_TRUE(sandbox_.memory().map(kLow - 0x20000, kPage, vx::kRead | vx::kWrite));
    // mov ebx, 3; mov [esp-0x30000], eax
    auto event = run({0xbb, 3, 0, 0, 0, 0x89, 0x84, 0x24, 0x00, 0x00, 0xfd, 0xff});
    ASSERT_EQ(event.kind, vx::EventKind::Fault) << vx::describe(event);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(event.fault.address, kLow - 0x30000);
    EXPECT_EQ(regs().eip, kCode + 5);
    EXPECT_EQ(sandbox_.memory().grow_down_low(), kLow);
}

TEST_P(SandboxStackGrowth, AStoreBelowTheFloorFaults) {
    // mov [esp - 0x100004], eax
    auto event = run({0x89, 0x84, 0x24, 0xfc, 0xff, 0xef, 0xff});
    ASSERT_EQ(event.kind, vx::EventKind::Fault) << vx::describe(event);
    EXPECT_EQ(event.fault.address, kFloor - 4);
    EXPECT_EQ(regs().eip, kCode);
}

TEST_P(SandboxStackGrowth, GrowthBeyondTheMemoryLimitStopsTheGuestAtTheInstruction) {
    // What others sharing the limit cost leaves no room for more.
    elsewhere_ = kLimit - sandbox_.memory_in_use();
    const uint64_t mapped = sandbox_.memory().mapped_bytes();
    // mov ebx, 3; push ebx
    auto event = run({0xbb, 3, 0, 0, 0, 0x53});
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
    EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::Memory);
    EXPECT_GT(event.limit_exceeded.used, kLimit);
    EXPECT_EQ(regs().eip, kCode + 5);
    EXPECT_EQ(regs().esp, kLow);
    EXPECT_EQ(regs().ebx, 3u);
    EXPECT_EQ(sandbox_.memory().mapped_bytes(), mapped);
}

VX_FOR_EACH_ENGINE(SandboxStackGrowth);

}  // namespace
