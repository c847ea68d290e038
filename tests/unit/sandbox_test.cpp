// Runs a few hand-assembled i386 instructions in a Sandbox and checks the
// registers and events that come back: the engine seen through its API.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "engines.h"
#include "vx/error.h"
#include "vx/sandbox.h"

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kData = 0x20000;
constexpr uint32_t kStackTop = 0x40000;

class SandboxTest : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    SandboxTest() : sandbox_(vx::testing::on_engine(GetParam(), {.memory_size = 16u << 20})) {
        auto& memory = sandbox_.memory();
        memory.map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
        memory.map(kData, 0x1000, vx::kRead | vx::kWrite);
        memory.map(kStackTop - 0x10000, 0x10000, vx::kRead | vx::kWrite);
        sandbox_.registers().esp = kStackTop;
    }

    // Places `code` at kCode followed by `int $0x80`, and runs to that syscall.
    vx::Event run(std::vector<uint8_t> code) {
        code.push_back(0xcd);
        code.push_back(0x80);
        EXPECT_TRUE(sandbox_.memory().write(kCode, code.data(), code.size()));
        sandbox_.registers().eip = kCode;
        return sandbox_.run();
    }

    vx::Sandbox sandbox_;
    vx::Registers& regs() { return sandbox_.registers(); }
};

TEST_P(SandboxTest, ArithmeticReachesTheSyscall) {
    // mov eax, 5; mov ebx, 7; imul eax, ebx; add eax, 1
    auto event = run({0xb8, 5, 0, 0, 0, 0xbb, 7, 0, 0, 0, 0x0f, 0xaf, 0xc3, 0x83, 0xc0, 0x01});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().eax, 36u);
    EXPECT_EQ(regs().ebx, 7u);
    EXPECT_EQ(regs().eip, kCode + 18);
}

TEST_P(SandboxTest, PushPopAndEspAreTheGuests) {
    // push 0x1234; push esp; pop ecx; pop edx
    auto event = run({0x68, 0x34, 0x12, 0, 0, 0x54, 0x59, 0x5a});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().edx, 0x1234u);
    EXPECT_EQ(regs().ecx, kStackTop - 4);  // push esp pushes the value before the push
    EXPECT_EQ(regs().esp, kStackTop);
}

TEST_P(SandboxTest, FlagsSurviveAnExitToTheHost) {
    // stc; int $0x80; mov eax, 0; adc eax, 0 (the CF set before the syscall)
    auto event = run({0xf9, 0xcd, 0x80, 0xb8, 0, 0, 0, 0, 0x83, 0xd0, 0x00});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall);
    ASSERT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().eax, 1u);
}

TEST_P(SandboxTest, FlagsSurviveTranslation) {
    // stc; mov eax, 0; adc eax, 0 (CF into eax); cmp eax, 1 (ZF set)
    auto event = run({0xf9, 0xb8, 0, 0, 0, 0, 0x83, 0xd0, 0x00, 0x83, 0xf8, 0x01});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().eax, 1u);
    EXPECT_TRUE(regs().eflags & (1u << 6));
}

TEST_P(SandboxTest, UnmappedLoadIsAPreciseFault) {
    // mov ebx, 3; mov eax, [0x500000]
    auto event = run({0xbb, 3, 0, 0, 0, 0xa1, 0, 0, 0x50, 0});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(event.fault.eip, kCode + 5);
    ASSERT_TRUE(event.fault.address.has_value());
    EXPECT_EQ(*event.fault.address, 0x500000u);
    EXPECT_EQ(regs().ebx, 3u);
    EXPECT_EQ(regs().eip, kCode + 5);
}

TEST_P(SandboxTest, HighByteRegistersWithEspAddresses) {
    // mov dword [esp-8], 0x11223344; mov dh, [esp-7]; mov [esp-6], dh; mov ch, [esp-6]
    auto event = run({0xc7, 0x44, 0x24, 0xf8, 0x44, 0x33, 0x22, 0x11, 0x8a, 0x74, 0x24, 0xf9,
                      0x88, 0x74, 0x24, 0xfa, 0x8a, 0x6c, 0x24, 0xfa});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ((regs().edx >> 8) & 0xff, 0x33u);
    EXPECT_EQ((regs().ecx >> 8) & 0xff, 0x33u);
    EXPECT_EQ(regs().esp, kStackTop);
}

TEST_P(SandboxTest, HighByteFaultWithEspAddressIsPrecise) {
    // mov ebp, 0x5a5a5a5a; mov esp, 0x500000 (unmapped); mov dh, [esp+8]
    auto event = run({0xbd, 0x5a, 0x5a, 0x5a, 0x5a, 0xbc, 0, 0, 0x50, 0, 0x8a, 0x74, 0x24, 0x08});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.eip, kCode + 10);
    ASSERT_TRUE(event.fault.address.has_value());
    EXPECT_EQ(*event.fault.address, 0x500008u);
    EXPECT_EQ(regs().esp, 0x500000u);  // not the register it was exchanged with
    EXPECT_EQ(regs().ebp, 0x5a5a5a5au);
}

TEST_P(SandboxTest, PopToMemoryAddressesWithTheNewEsp) {
    // push 7; push 9; pop dword [esp] (stores 9 over the 7); pop eax
    auto event = run({0x6a, 7, 0x6a, 9, 0x8f, 0x04, 0x24, 0x58});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().eax, 9u);
    EXPECT_EQ(regs().esp, kStackTop);
}

TEST_P(SandboxTest, PopToUnmappedMemoryLeavesEspUnchanged) {
    // push 7; pop dword [0x500000]
    auto event = run({0x6a, 7, 0x8f, 0x05, 0, 0, 0x50, 0});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.eip, kCode + 2);
    EXPECT_EQ(regs().esp, kStackTop - 4);
}

TEST_P(SandboxTest, AccessBeyondGuestMemoryIsContained) {
    // mov eax, [0xfffffffe]: wraps nowhere, lands in the reservation's guard
    auto event = run({0xa1, 0xfe, 0xff, 0xff, 0xff});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::SegmentBounds);
    EXPECT_EQ(event.fault.eip, kCode);
}

TEST_P(SandboxTest, StoreToTheTopOfTheAddressSpaceIsContained) {
    // mov dword [0xfffffff0], 1
    auto event = run({0xc7, 0x05, 0xf0, 0xff, 0xff, 0xff, 1, 0, 0, 0});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::SegmentBounds);
    EXPECT_EQ(*event.fault.address, 0xfffffff0u);
}

TEST_P(SandboxTest, EveryFormReachesTheTopOfTheAddressSpaceContained) {
    const std::vector<std::vector<uint8_t>> forms = {
        {0xff, 0x25, 0xf0, 0xff, 0xff, 0xff},  // jmp [0xfffffff0]
        {0xff, 0x15, 0xf0, 0xff, 0xff, 0xff},  // call [0xfffffff0]
        {0xff, 0x35, 0xf0, 0xff, 0xff, 0xff},  // push dword [0xfffffff0]
        {0x8c, 0x1d, 0xf0, 0xff, 0xff, 0xff},  // mov [0xfffffff0], ds
    };
    for (const auto& form : forms) {
        auto event = run(form);
        ASSERT_EQ(event.kind, vx::EventKind::Fault) << int(form[1]);
        EXPECT_EQ(event.fault.kind, vx::FaultKind::SegmentBounds) << int(form[1]);
        EXPECT_EQ(*event.fault.address, 0xfffffff0u);
    }
}

TEST_P(SandboxTest, RepMovsFaultKeepsItsProgress) {
    regs().esi = kData;
    regs().edi = kData + 0x800;
    regs().ecx = 0x1000;  // the destination runs off the mapped page after 0x800 bytes
    // xor eax, eax (sets ZF); rep movsb
    auto event = run({0x31, 0xc0, 0xf3, 0xa4});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(event.fault.eip, kCode + 2);
    EXPECT_EQ(*event.fault.address, kData + 0x1000);
    EXPECT_EQ(regs().ecx, 0x800u) << "bytes still to copy";
    EXPECT_EQ(regs().esi, kData + 0x800);
    EXPECT_EQ(regs().edi, kData + 0x1000);
    EXPECT_TRUE(regs().eflags & (1u << 6)) << "the guest's ZF";
}

TEST_P(SandboxTest, RepStosFillsAndKeepsFlags) {
    regs().edi = kData;
    regs().ecx = 16;
    // mov eax, 0x01020304; stc; rep stosd; setc bl
    auto event = run({0xb8, 4, 3, 2, 1, 0xf9, 0xf3, 0xab, 0x0f, 0x92, 0xc3});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().ecx, 0u);
    EXPECT_EQ(regs().edi, kData + 64);
    EXPECT_EQ(regs().ebx & 0xff, 1u) << "CF survived";
    uint32_t last = 0;
    sandbox_.memory().read(kData + 60, &last, 4);
    EXPECT_EQ(last, 0x01020304u);
}

TEST_P(SandboxTest, RepStosPastFourGigabytesIsContained) {
    regs().edi = 0xfffff000;
    regs().ecx = 0x2000;  // would wrap past 4 GiB
    auto event = run({0xf3, 0xaa});  // rep stosb
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.eip, kCode);
}

TEST_P(SandboxTest, WriteToReadOnlyPageFaults) {
    sandbox_.memory().protect(kData, 0x1000, vx::kRead);
    // mov dword [0x20000], 1
    auto event = run({0xc7, 0x05, 0, 0, 2, 0, 1, 0, 0, 0});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(*event.fault.address, kData);
}

TEST_P(SandboxTest, DivideByZeroIsADivideError) {
    // xor ecx, ecx; div ecx
    auto event = run({0x31, 0xc9, 0xf7, 0xf1});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::DivideError);
    EXPECT_EQ(event.fault.eip, kCode + 2);
}

TEST_P(SandboxTest, PrivilegedInstructionNeverRuns) {
    auto event = run({0xfa});  // cli
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::PrivilegedInstruction);
    EXPECT_EQ(event.fault.eip, kCode);
}

TEST_P(SandboxTest, BreakpointReportsTheInstructionAndResumesAfterIt) {
    auto event = run({0xcc});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::Breakpoint);
    EXPECT_EQ(event.fault.eip, kCode);
    EXPECT_EQ(regs().eip, kCode + 1);
    EXPECT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);  // continues to the int $0x80
}

TEST_P(SandboxTest, ExecutingDataIsAFetchFault) {
    regs().eip = kData;
    auto event = sandbox_.run();
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(event.fault.eip, kData);
}

TEST_P(SandboxTest, IndirectJumpToAnyAddressStaysInTheGuest) {
    // mov eax, 0xfffffff0; jmp eax
    auto event = run({0xb8, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xe0});
    ASSERT_EQ(event.kind, vx::EventKind::Fault);
    EXPECT_EQ(event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(event.fault.eip, 0xfffffff0u);
}

TEST_P(SandboxTest, FsAndGsAddressTheGuestSegmentBase) {
    uint32_t value = 0xcafef00d;
    sandbox_.memory().write(kData + 0x10, &value, 4);
    sandbox_.set_segment(vx::SegmentRegister::gs, 0x63, kData);
    // mov eax, gs:[0x10]
    auto event = run({0x65, 0xa1, 0x10, 0, 0, 0});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().eax, value);
}

TEST_P(SandboxTest, AFinishedSandboxReportsExitAndRunsNothing) {
    ASSERT_EQ(run({0xb8, 1, 0, 0, 0}).kind, vx::EventKind::Syscall);  // mov eax, 1 (exit)
    sandbox_.finish(3);
    regs().eax = 77;
    auto event = sandbox_.run();
    ASSERT_EQ(event.kind, vx::EventKind::Exit);
    EXPECT_EQ(event.exit_status, 3);
    EXPECT_EQ(regs().eax, 77u) << "nothing ran";
    EXPECT_TRUE(sandbox_.finished());
}

TEST_P(SandboxTest, ResumesAfterASyscall) {
    // mov eax, 1; int 0x80; add eax, 1 (then the final int 0x80)
    auto event = run({0xb8, 1, 0, 0, 0, 0xcd, 0x80, 0x83, 0xc0, 0x01});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().eax, 1u);
    regs().eax = 41;  // as a host servicing the call would set the result
    ASSERT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().eax, 42u);
}

TEST_P(SandboxTest, HostControlStateSurvivesAHostileGuest) {
    uint32_t host_mxcsr_before = 0, host_mxcsr_after = 0;
    uint16_t host_fcw_before = 0, host_fcw_after = 0;
    __asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(host_mxcsr_before), "=m"(host_fcw_before));
    // std; pushfd; or dword [esp], 0x40000 (AC); popfd;
    // mov dword [0x20000], 0xffc0 (all exceptions unmasked, FTZ+DAZ); ldmxcsr [0x20000];
    // mov word [0x20004], 0x0040; fldcw [0x20004]
    auto event = run({0xfd, 0x9c, 0x81, 0x0c, 0x24, 0, 0, 4, 0, 0x9d,
                      0xc7, 0x05, 0, 0, 2, 0, 0xc0, 0xff, 0, 0,
                      0x0f, 0xae, 0x15, 0, 0, 2, 0,
                      0x66, 0xc7, 0x05, 4, 0, 2, 0, 0x40, 0,
                      0xd9, 0x2d, 4, 0, 2, 0});
    __asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(host_mxcsr_after), "=m"(host_fcw_after));
    uint64_t host_flags;
    __asm__ volatile("pushfq; pop %0" : "=r"(host_flags));
    ASSERT_EQ(event.kind, vx::EventKind::Syscall);
    EXPECT_EQ(host_mxcsr_after, host_mxcsr_before);
    EXPECT_EQ(host_fcw_after, host_fcw_before);
    EXPECT_FALSE(host_flags & (1u << 10)) << "DF leaked to the host";
    EXPECT_FALSE(host_flags & (1u << 18)) << "AC leaked to the host";
    EXPECT_TRUE(regs().eflags & (1u << 10)) << "the guest keeps its own DF";

    // The guest's own control state is still there when it runs again:
    // stmxcsr [0x20008]; fnstcw [0x2000c]
    auto again = run({0x0f, 0xae, 0x1d, 8, 0, 2, 0, 0xd9, 0x3d, 0x0c, 0, 2, 0});
    ASSERT_EQ(again.kind, vx::EventKind::Syscall);
    uint32_t guest_mxcsr = 0;
    uint16_t guest_fcw = 0;
    sandbox_.memory().read(kData + 8, &guest_mxcsr, 4);
    sandbox_.memory().read(kData + 12, &guest_fcw, 2);
    EXPECT_EQ(guest_mxcsr & 0xffc0, 0xffc0u);
    EXPECT_EQ(guest_fcw & 0x3f, 0u) << "x87 exceptions unmasked, as the guest set them";
}

__attribute__((noinline)) void clobber_host_vector_registers() {
    __asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\tvpcmpeqd %%ymm1, %%ymm1, %%ymm1\n\tvzeroupper"
                     ::: "xmm0", "xmm1");
}

TEST_P(SandboxTest, GuestVectorRegistersSurviveTheHost) {
    uint8_t pattern[32];
    for (int i = 0; i < 32; ++i) pattern[i] = uint8_t(i * 7 + 1);
    sandbox_.memory().write(kData, pattern, sizeof pattern);
    // vmovdqu ymm1, [0x20000]
    ASSERT_EQ(run({0xc5, 0xfe, 0x6f, 0x0d, 0, 0, 2, 0}).kind, vx::EventKind::Syscall);
    clobber_host_vector_registers();
    // vmovdqu [0x20040], ymm1
    ASSERT_EQ(run({0xc5, 0xfe, 0x7f, 0x0d, 0x40, 0, 2, 0}).kind, vx::EventKind::Syscall);
    uint8_t back[32] = {};
    sandbox_.memory().read(kData + 0x40, back, sizeof back);
    EXPECT_EQ(0, std::memcmp(back, pattern, sizeof back));
}

// What cs and ds/ss read is the host's choice (Linux's for its programs), and
// a new choice holds for code that already ran.
TEST_P(SandboxTest, SegmentSelectorsAreTheHostsChoice) {
    const std::vector<uint8_t> read_selectors = {0x8c, 0xc8, 0x8c, 0xdb, 0x8c, 0xd1};  // mov eax, cs; mov ebx, ds; mov ecx, ss
    sandbox_.set_selectors({0x23, 0x2b});
    ASSERT_EQ(run(read_selectors).kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().eax, 0x23u);
    EXPECT_EQ(regs().ebx, 0x2bu);
    EXPECT_EQ(regs().ecx, 0x2bu);
    sandbox_.set_selectors({0x73, 0x7b});
    ASSERT_EQ(run(read_selectors).kind, vx::EventKind::Syscall);
    EXPECT_EQ(regs().eax, 0x73u);
    EXPECT_EQ(regs().ebx, 0x7bu);
    EXPECT_EQ(sandbox_.selectors(), (vx::FlatSelectors{0x73, 0x7b}));
}

TEST_P(SandboxTest, TheGuestsSegmentLoadsResolveFromTheDescriptors) {
    uint32_t value = 0x7e57da7a;
    sandbox_.memory().write(kData + 0x10, &value, 4);
    ASSERT_TRUE(sandbox_.set_descriptor(12, kData));
    // mov eax, 0x63; mov gs, eax; mov ecx, gs:[0x10]; mov edx, gs
    auto event = run({0xb8, 0x63, 0, 0, 0, 0x8e, 0xe8, 0x65, 0x8b, 0x0d, 0x10, 0, 0, 0, 0x8c, 0xea});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().ecx, value);
    EXPECT_EQ(regs().edx, 0x63u);
    EXPECT_EQ(sandbox_.segment(vx::SegmentRegister::gs), (vx::Segment{0x63, kData}));
    // mov eax, 0x60 (RPL 0, as a CPU takes it for a DPL 3 entry); mov fs, eax; mov ecx, fs:[0x10]
    event = run({0xb8, 0x60, 0, 0, 0, 0x8e, 0xe0, 0x64, 0x8b, 0x0d, 0x10, 0, 0, 0});
    ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
    EXPECT_EQ(regs().ecx, value);
    EXPECT_EQ(sandbox_.segment(vx::SegmentRegister::fs), (vx::Segment{0x60, kData}));
    // mov eax, 3; mov gs, eax: the null selector
    ASSERT_EQ(run({0xb8, 3, 0, 0, 0, 0x8e, 0xe8}).kind, vx::EventKind::Syscall);
    EXPECT_EQ(sandbox_.segment(vx::SegmentRegister::gs), (vx::Segment{3, 0}));
}

TEST_P(SandboxTest, ASegmentLoadTheDescriptorsRefuseIsAGeneralProtectionFault) {
    ASSERT_TRUE(sandbox_.set_descriptor(12, kData));
    ASSERT_TRUE(sandbox_.load_segment(vx::SegmentRegister::gs, 0x63));
    for (uint32_t selector : {0x6bu, 0x67u, 0x2bu, 0xfffbu}) {  // never defined, the LDT, a flat one, the last
        // mov ebx, 7; mov eax, selector; mov gs, eax; mov ebx, 8
        auto event = run({0xbb, 7, 0, 0, 0, 0xb8, uint8_t(selector), uint8_t(selector >> 8), 0, 0, 0x8e, 0xe8, 0xbb, 8,
                          0, 0, 0});
        ASSERT_EQ(event.kind, vx::EventKind::Fault) << selector;
        EXPECT_EQ(event.fault.kind, vx::FaultKind::GeneralProtection);
        EXPECT_EQ(event.fault.eip, kCode + 10);
        EXPECT_FALSE(event.fault.address);
        EXPECT_EQ(regs().eip, kCode + 10) << "at the load, as the CPU's fault leaves it";
        EXPECT_EQ(regs().ebx, 7u);
        EXPECT_EQ(sandbox_.segment(vx::SegmentRegister::gs), (vx::Segment{0x63, kData})) << "unchanged";
    }
    sandbox_.clear_descriptor(12);
    auto event = run({0xb8, 0x63, 0, 0, 0, 0x8e, 0xe8});
    ASSERT_EQ(event.kind, vx::EventKind::Fault) << "a cleared entry";
    EXPECT_EQ(event.fault.kind, vx::FaultKind::GeneralProtection);
}

TEST_P(SandboxTest, ASegmentLoadCostsOneInstructionOfFuel) {
    vx::SandboxOptions options{.memory_size = 16u << 20};
    options.limits.instructions = 100;
    vx::Sandbox sandbox(vx::testing::on_engine(GetParam(), options));
    sandbox.memory().map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
    ASSERT_TRUE(sandbox.set_descriptor(12, kData));
    // mov eax, 0x63; mov gs, eax; nop; int $0x80
    const uint8_t code[] = {0xb8, 0x63, 0, 0, 0, 0x8e, 0xe8, 0x90, 0xcd, 0x80};
    sandbox.memory().write(kCode, code, sizeof code);
    sandbox.registers().eip = kCode;
    ASSERT_EQ(sandbox.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(sandbox.fuel(), 96u);
    EXPECT_EQ(sandbox.segment(vx::SegmentRegister::gs), (vx::Segment{0x63, kData}));
}

TEST_P(SandboxTest, OnlyIndexesASelectorNamesAreDescriptors) {
    EXPECT_FALSE(sandbox_.set_descriptor(0, kData));
    EXPECT_FALSE(sandbox_.set_descriptor(8192, kData));
    EXPECT_TRUE(sandbox_.descriptors().entries().empty());
}

TEST_P(SandboxTest, LoadingAProgramForgetsTheDescriptors) {
    std::ifstream in(std::string(VX_GUEST_DIR) + "/hello", std::ios::binary);
    const std::vector<uint8_t> program{std::istreambuf_iterator<char>(in), {}};
    ASSERT_FALSE(program.empty()) << "no guest hello";
    vx::Sandbox sandbox(vx::testing::on_engine(GetParam(), {.memory_size = 256u << 20}));
    ASSERT_TRUE(sandbox.set_descriptor(12, kData));
    ASSERT_TRUE(sandbox.load_segment(vx::SegmentRegister::gs, 0x63));
    EXPECT_THROW(sandbox.load_program({}), vx::ElfError);
    EXPECT_EQ(sandbox.descriptors().base(12), kData) << "a refused program changes nothing";
    sandbox.load_program(program);
    EXPECT_TRUE(sandbox.descriptors().entries().empty());
    EXPECT_EQ(sandbox.segment(vx::SegmentRegister::gs), vx::Segment{});
    EXPECT_FALSE(sandbox.load_segment(vx::SegmentRegister::gs, 0x63)) << "the engine forgot them too";
}

class Sandboxes : public ::testing::TestWithParam<vx::EngineKind> {};

TEST_P(Sandboxes, EachHasItsOwnVectorState) {
    const vx::SandboxOptions options = vx::testing::on_engine(GetParam(), {.memory_size = 16u << 20});
    vx::Sandbox a(options), b(options);
    for (vx::Sandbox* s : {&a, &b}) {
        s->memory().map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
        s->memory().map(kData, 0x1000, vx::kRead | vx::kWrite);
    }
    auto run = [](vx::Sandbox& s, std::vector<uint8_t> code) {
        code.insert(code.end(), {0xcd, 0x80});
        s.memory().write(kCode, code.data(), code.size());
        s.registers().eip = kCode;
        return s.run().kind;
    };
    uint32_t secret = 0x5ec2e7;
    a.memory().write(kData, &secret, 4);
    ASSERT_EQ(run(a, {0x66, 0x0f, 0x6e, 0x05, 0, 0, 2, 0}), vx::EventKind::Syscall);  // movd xmm0, [0x20000]
    ASSERT_EQ(run(b, {0x66, 0x0f, 0x7e, 0x05, 4, 0, 2, 0}), vx::EventKind::Syscall);  // movd [0x20004], xmm0
    uint32_t seen = 1;
    b.memory().read(kData + 4, &seen, 4);
    EXPECT_EQ(seen, 0u) << "one sandbox saw another's xmm0";
}

TEST_P(Sandboxes, RunOnSeveralThreadsAtOnce) {
    const vx::EngineKind engine = GetParam();
    constexpr int kThreads = 4;
    std::vector<uint32_t> results(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([t, engine, &results] {
            vx::Sandbox sandbox(vx::testing::on_engine(engine, {.memory_size = 16u << 20}));
            sandbox.memory().map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
            // mov ecx, 2000000; mov eax, t; loop: add eax, 3; dec ecx; jnz loop; int 0x80
            uint8_t code[] = {0xb9, 0x80, 0x84, 0x1e, 0x00, 0xb8, uint8_t(t), 0, 0, 0,
                              0x83, 0xc0, 0x03, 0x49, 0x75, 0xfa, 0xcd, 0x80};
            sandbox.memory().write(kCode, code, sizeof code);
            sandbox.registers().eip = kCode;
            if (sandbox.run().kind == vx::EventKind::Syscall) results[t] = sandbox.registers().eax;
        });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < kThreads; ++t) EXPECT_EQ(results[t], uint32_t(t) + 3u * 2000000u);
}

// The host process's address space, in bytes (VmSize). A guest's
// reservation is 4 GiB of it; a leaked one shows however the kernel merges
// it with its neighbours, where a sanitizer's allocator grows by far less.
uint64_t address_space_bytes() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmSize:", 0) == 0) return std::stoull(line.substr(7)) * 1024;
    return 0;
}

size_t open_descriptors() {
    size_t n = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
    return n;
}

// A sandbox runs the arches its engine says it does (vx::engine_arches), and
// one asking its engine for another is refused, naming the engine and the
// arch, with no host mapping or descriptor left behind.
TEST_P(Sandboxes, RunTheArchesTheirEngineRunsAndNoOther) {
    const vx::EngineKind engine = GetParam();
    const std::vector<vx::Arch> runs = vx::engine_arches(engine);
    ASSERT_FALSE(runs.empty());
    for (vx::Arch arch : {vx::Arch::i386, vx::Arch::x86_64}) {
        SCOPED_TRACE(vx::to_string(arch));
        const vx::SandboxOptions options = vx::testing::on_engine(engine, {.arch = arch, .memory_size = 16u << 20});
        if (std::find(runs.begin(), runs.end(), arch) != runs.end()) {
            vx::Sandbox sandbox(options);
            EXPECT_EQ(sandbox.cpu().arch(), arch);
            continue;
        }
        const uint64_t space_before = address_space_bytes();
        const size_t descriptors_before = open_descriptors();
        constexpr int kRefusals = 16;
        std::string refusal;
        for (int i = 0; i < kRefusals; ++i) {
            try {
                vx::Sandbox sandbox(options);
            } catch (const vx::Error& error) {
                refusal = error.what();
            }
        }
        EXPECT_NE(refusal.find(vx::to_string(engine)), std::string::npos) << refusal;
        EXPECT_NE(refusal.find(vx::to_string(arch)), std::string::npos) << refusal;
        // (Signed: the heap may give some back meanwhile.)
        EXPECT_LT(int64_t(address_space_bytes()) - int64_t(space_before), int64_t(kRefusals / 2 * vx::kReservation))
            << "a refused sandbox left its reservation behind";
        EXPECT_EQ(open_descriptors(), descriptors_before);
    }
}

TEST_P(SandboxTest, ItsCpuStateIsI386) {
    EXPECT_EQ(sandbox_.cpu().arch(), vx::Arch::i386);
    EXPECT_EQ(&sandbox_.registers(), &sandbox_.cpu().i386());
    std::string refusal;
    try {
        sandbox_.cpu().x86_64();
    } catch (const vx::Error& error) {
        refusal = error.what();
    }
    EXPECT_NE(refusal.find("i386"), std::string::npos) << refusal;
    EXPECT_NE(refusal.find("x86_64"), std::string::npos) << refusal;
}

TEST(DbtEngine, RunsI386GuestsOnly) {
    EXPECT_EQ(vx::engine_arches(vx::EngineKind::Dbt), std::vector<vx::Arch>{vx::Arch::i386});
    try {
        vx::Sandbox sandbox({.engine = vx::EngineKind::Dbt, .arch = vx::Arch::x86_64, .memory_size = 16u << 20});
        ADD_FAILURE() << "the dbt engine took an x86_64 guest";
    } catch (const vx::Error& error) {
        EXPECT_STREQ(error.what(), "the dbt engine runs i386 guests only, not x86_64");
    }
}

VX_FOR_EACH_ENGINE(SandboxTest);
VX_FOR_EACH_ENGINE(Sandboxes);

}  // namespace
