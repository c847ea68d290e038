// The instruction policy, one row per instruction: what the translator is
// allowed to do with it. Anything not on an allow list must end in a fault.
#include <gtest/gtest.h>

#include <cpuid.h>
#include <immintrin.h>

#include <cstdio>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "x86/decoder.h"
#include "x86/policy.h"

namespace {

using vx::FaultKind;
using vx::x86::Action;

struct PolicyCase {
    const char* name;
    std::vector<uint8_t> bytes;
    Action action;
    std::optional<FaultKind> fault = std::nullopt;  // checked for Action::Fault
};

constexpr FaultKind kPrivileged = FaultKind::PrivilegedInstruction;
constexpr FaultKind kInvalid = FaultKind::InvalidInstruction;

const char* action_name(Action a) {
    switch (a) {
    case Action::Copy: return "Copy";
    case Action::StripSegment: return "StripSegment";
    case Action::Jump: return "Jump";
    case Action::JumpCond: return "JumpCond";
    case Action::LoopCond: return "LoopCond";
    case Action::Call: return "Call";
    case Action::Return: return "Return";
    case Action::JumpIndirect: return "JumpIndirect";
    case Action::CallIndirect: return "CallIndirect";
    case Action::Syscall: return "Syscall";
    case Action::Breakpoint: return "Breakpoint";
    case Action::Popf: return "Popf";
    case Action::ReadSegment: return "ReadSegment";
    case Action::LoadSegment: return "LoadSegment";
    case Action::Nop: return "Nop";
    case Action::Fault: return "Fault";
    }
    return "?";
}

void PrintTo(const PolicyCase& c, std::ostream* os) { *os << c.name; }

const std::vector<PolicyCase> kCases = {
    // Plain computation runs as it is.
    {"add_eax_ebx", {0x01, 0xd8}, Action::Copy},
    {"mov_eax_ecx", {0x89, 0xc8}, Action::Copy},
    {"mov_eax_mem_ebx", {0x8b, 0x03}, Action::Copy},
    {"lea_eax_ebx_ecx4", {0x8d, 0x04, 0x8b}, Action::Copy},
    {"imul_eax_ebx", {0x0f, 0xaf, 0xc3}, Action::Copy},
    {"lock_xadd_mem_eax", {0xf0, 0x0f, 0xc1, 0x03}, Action::Copy},
    {"push_eax", {0x50}, Action::Copy},
    {"pop_eax", {0x58}, Action::Copy},
    {"rep_movsb", {0xf3, 0xa4}, Action::Copy},
    {"fld_mem", {0xd9, 0x03}, Action::Copy},
    {"addps_xmm0_xmm1", {0x0f, 0x58, 0xc1}, Action::Copy},
    {"movdqu_xmm0_mem", {0xf3, 0x0f, 0x6f, 0x03}, Action::Copy},
    {"vaddps_ymm0_ymm1_ymm2", {0xc5, 0xf4, 0x58, 0xc2}, Action::Copy},
    {"vaddps_zmm0_zmm0_zmm1", {0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc1}, Action::Copy},
    {"nop", {0x90}, Action::Copy},
    // The reserved NOPs (0f 19-1f), cldemote and rdsspd run as nothing: a
    // ModRM's memory is never touched.
    {"nop_dword_mem", {0x0f, 0x1f, 0x44, 0x00, 0x00}, Action::Nop},
    {"nop_word_mem_disp32", {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}, Action::Nop},
    {"hint_nop_0f1e_reg", {0x0f, 0x1e, 0xc0}, Action::Nop},
    {"hint_nop_0f19_mem", {0x0f, 0x19, 0x00}, Action::Nop},
    {"cldemote", {0x0f, 0x1c, 0x00}, Action::Nop},
    {"rdsspd", {0xf3, 0x0f, 0x1e, 0xc8}, Action::Nop},
    {"pause", {0xf3, 0x90}, Action::Copy},
    {"lfence", {0x0f, 0xae, 0xe8}, Action::Copy},
    {"mfence", {0x0f, 0xae, 0xf0}, Action::Copy},
    {"cpuid", {0x0f, 0xa2}, Action::Copy},
    {"rdtsc", {0x0f, 0x31}, Action::Copy},
    {"rdtscp", {0x0f, 0x01, 0xf9}, Action::Fault, kPrivileged},
    {"addr16_movsb", {0x67, 0xa4}, Action::Fault},
    {"xgetbv", {0x0f, 0x01, 0xd0}, Action::Copy},
    {"endbr32", {0xf3, 0x0f, 0x1e, 0xfb}, Action::Copy},
    {"pushfd", {0x9c}, Action::Copy},
    {"cld", {0xfc}, Action::Copy},

    // Segment overrides: the guest's own segments stay, foreign ones are re-encoded.
    {"es_mov", {0x26, 0x8b, 0x03}, Action::Copy},
    {"ds_mov", {0x3e, 0x8b, 0x03}, Action::Copy},
    {"ss_mov", {0x36, 0x8b, 0x03}, Action::Copy},
    {"gs_mov_eax_moffs", {0x65, 0xa1, 0x14, 0x00, 0x00, 0x00}, Action::StripSegment},
    {"gs_mov_ecx_disp32", {0x65, 0x8b, 0x0d, 0x00, 0x00, 0x00, 0x00}, Action::StripSegment},
    {"fs_mov_eax_mem_ebx", {0x64, 0x8b, 0x03}, Action::StripSegment},
    {"cs_mov_eax_mem_ebx", {0x2e, 0x8b, 0x03}, Action::StripSegment},
    {"gs_add_mem_eax", {0x65, 0x01, 0x03}, Action::StripSegment},
    {"fs_movsb", {0x64, 0xa4}, Action::Fault, kInvalid},
    {"gs_lodsd", {0x65, 0xad}, Action::Fault, kInvalid},
    {"gs_xlat", {0x65, 0xd7}, Action::Fault, kInvalid},
    {"fs_gs_mov", {0x64, 0x65, 0x8b, 0x03}, Action::Fault, kInvalid},
    {"ds_es_mov", {0x3e, 0x26, 0x8b, 0x03}, Action::Fault, kInvalid},

    // Near control transfers.
    {"jmp_rel8", {0xeb, 0x10}, Action::Jump},
    {"jmp_rel32", {0xe9, 0x00, 0x01, 0x00, 0x00}, Action::Jump},
    {"je_rel8", {0x74, 0x10}, Action::JumpCond},
    {"jne_rel32", {0x0f, 0x85, 0x00, 0x01, 0x00, 0x00}, Action::JumpCond},
    {"loop", {0xe2, 0xfe}, Action::LoopCond},
    {"loope", {0xe1, 0xfe}, Action::LoopCond},
    {"loopne", {0xe0, 0xfe}, Action::LoopCond},
    {"jecxz", {0xe3, 0x10}, Action::LoopCond},
    // With a 67 prefix they count in cx; with a 66 one eip would be cut to 16 bits.
    {"jcxz", {0x67, 0xe3, 0x10}, Action::LoopCond},
    {"loopw", {0x67, 0xe2, 0xfe}, Action::LoopCond},
    {"loop_ip16", {0x66, 0xe2, 0xfe}, Action::Fault, kInvalid},
    // 16-bit addresses of memory (67): only lea computes one.
    {"lea_addr16", {0x67, 0x8d, 0x40, 0x03}, Action::Copy},
    {"push_mem_disp16", {0x67, 0xff, 0x36, 0xf0, 0xff}, Action::Fault, kInvalid},
    {"pop_word_mem_addr16", {0x67, 0x66, 0x8f, 0x06, 0xf0, 0xff}, Action::Fault, kInvalid},
    {"mov_mem_addr16_imm", {0x67, 0xc7, 0x06, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00}, Action::Fault, kInvalid},
    {"mov_eax_bx_si", {0x67, 0x8b, 0x00}, Action::Fault, kInvalid},
    {"push_eax_addr16_prefix", {0x67, 0x50}, Action::Copy},  // the stack's address size is esp's
    // 16-bit stack frames move esp by 2 and set only bp.
    {"leave", {0xc9}, Action::Copy},
    {"leavew", {0x66, 0xc9}, Action::Fault, kInvalid},
    {"enterw", {0x66, 0xc8, 0x08, 0x00, 0x00}, Action::Fault, kInvalid},
    {"jmp_rel16", {0x66, 0xe9, 0x00, 0x01}, Action::Fault, kInvalid},
    {"call_rel32", {0xe8, 0x00, 0x00, 0x00, 0x00}, Action::Call},
    {"ret", {0xc3}, Action::Return},
    {"ret_imm16", {0xc2, 0x08, 0x00}, Action::Return},
    {"rep_ret", {0xf3, 0xc3}, Action::Return},
    {"retw", {0x66, 0xc3}, Action::Fault, kInvalid},
    {"jmp_eax", {0xff, 0xe0}, Action::JumpIndirect},
    {"jmp_mem_eax", {0xff, 0x20}, Action::JumpIndirect},
    {"jmp_table", {0xff, 0x24, 0x85, 0x00, 0x10, 0x00, 0x00}, Action::JumpIndirect},
    {"call_eax", {0xff, 0xd0}, Action::CallIndirect},
    {"call_mem_eax", {0xff, 0x10}, Action::CallIndirect},
    {"call_gs_0x10", {0x65, 0xff, 0x15, 0x10, 0x00, 0x00, 0x00}, Action::CallIndirect},

    // Far transfers change cs.
    {"jmp_far_ptr", {0xea, 0x00, 0x00, 0x00, 0x00, 0x23, 0x00}, Action::Fault, kPrivileged},
    {"call_far_ptr", {0x9a, 0x00, 0x00, 0x00, 0x00, 0x23, 0x00}, Action::Fault, kPrivileged},
    {"jmp_far_mem", {0xff, 0x28}, Action::Fault, kPrivileged},
    {"call_far_mem", {0xff, 0x18}, Action::Fault, kPrivileged},
    {"retf", {0xcb}, Action::Fault, kPrivileged},
    {"retf_imm16", {0xca, 0x08, 0x00}, Action::Fault, kPrivileged},
    {"iretd", {0xcf}, Action::Fault, kPrivileged},

    // Interrupts.
    {"int_0x80", {0xcd, 0x80}, Action::Syscall},
    {"int3", {0xcc}, Action::Breakpoint},
    {"int_0x21", {0xcd, 0x21}, Action::Fault, kPrivileged},
    {"into", {0xce}, Action::Fault, kPrivileged},
    {"int1", {0xf1}, Action::Breakpoint},
    {"int_3", {0xcd, 0x03}, Action::Breakpoint},

    // Privileged and I/O instructions.
    {"hlt", {0xf4}, Action::Fault, kPrivileged},
    {"in_al_imm8", {0xe4, 0x60}, Action::Fault, kPrivileged},
    {"in_al_dx", {0xec}, Action::Fault, kPrivileged},
    {"out_imm8_al", {0xe6, 0x80}, Action::Fault, kPrivileged},
    {"out_dx_eax", {0xef}, Action::Fault, kPrivileged},
    {"insb", {0x6c}, Action::Fault, kPrivileged},
    {"rep_outsd", {0xf3, 0x6f}, Action::Fault, kPrivileged},
    {"cli", {0xfa}, Action::Fault, kPrivileged},
    {"sti", {0xfb}, Action::Fault, kPrivileged},

    // Segment register loads.
    {"mov_ds_ax", {0x8e, 0xd8}, Action::Fault, kPrivileged},
    {"mov_ss_ax", {0x8e, 0xd0}, Action::Fault, kPrivileged},
    {"mov_gs_mem", {0x8e, 0x2b}, Action::Fault, kPrivileged},
    {"mov_gs_ax", {0x8e, 0xe8}, Action::LoadSegment},
    {"mov_fs_ax", {0x8e, 0xe0}, Action::LoadSegment},
    {"pop_ds", {0x1f}, Action::Fault, kPrivileged},
    {"pop_gs", {0x0f, 0xa9}, Action::Fault, kPrivileged},
    {"push_ds", {0x1e}, Action::Fault, kPrivileged},
    {"push_fs", {0x0f, 0xa0}, Action::Fault, kPrivileged},
    {"lds", {0xc5, 0x03}, Action::Fault, kPrivileged},
    {"les", {0xc4, 0x03}, Action::Fault, kPrivileged},
    {"lss", {0x0f, 0xb2, 0x03}, Action::Fault, kPrivileged},
    {"lgs", {0x0f, 0xb5, 0x03}, Action::Fault, kPrivileged},

    // Segment register reads see Linux's selectors.
    {"mov_ax_ds", {0x66, 0x8c, 0xd8}, Action::ReadSegment},
    {"mov_eax_ds", {0x8c, 0xd8}, Action::ReadSegment},
    {"mov_eax_cs", {0x8c, 0xc8}, Action::ReadSegment},
    {"mov_eax_gs", {0x8c, 0xe8}, Action::ReadSegment},
    {"mov_mem_ds", {0x8c, 0x18}, Action::ReadSegment},

    // Descriptor tables, system registers and model-specific state.
    {"sgdt", {0x0f, 0x01, 0x00}, Action::Fault, kPrivileged},
    {"sidt", {0x0f, 0x01, 0x08}, Action::Fault, kPrivileged},
    {"sldt", {0x0f, 0x00, 0x00}, Action::Fault, kPrivileged},
    {"str_eax", {0x0f, 0x00, 0xc8}, Action::Fault, kPrivileged},
    {"smsw_eax", {0x0f, 0x01, 0xe0}, Action::Fault, kPrivileged},
    {"lar", {0x0f, 0x02, 0xc0}, Action::Fault, kPrivileged},
    {"lsl", {0x0f, 0x03, 0xc0}, Action::Fault, kPrivileged},
    {"verr", {0x0f, 0x00, 0x20}, Action::Fault, kPrivileged},
    {"verw", {0x0f, 0x00, 0x28}, Action::Fault, kPrivileged},
    {"arpl", {0x63, 0xc0}, Action::Fault, kPrivileged},
    {"mov_eax_cr0", {0x0f, 0x20, 0xc0}, Action::Fault, kPrivileged},
    {"mov_cr3_eax", {0x0f, 0x22, 0xd8}, Action::Fault, kPrivileged},
    {"mov_eax_dr7", {0x0f, 0x21, 0xf8}, Action::Fault, kPrivileged},
    {"mov_dr0_eax", {0x0f, 0x23, 0xc0}, Action::Fault, kPrivileged},
    {"lgdt", {0x0f, 0x01, 0x10}, Action::Fault, kPrivileged},
    {"lidt", {0x0f, 0x01, 0x18}, Action::Fault, kPrivileged},
    {"rdmsr", {0x0f, 0x32}, Action::Fault, kPrivileged},
    {"wrmsr", {0x0f, 0x30}, Action::Fault, kPrivileged},
    {"invd", {0x0f, 0x08}, Action::Fault, kPrivileged},
    {"wbinvd", {0x0f, 0x09}, Action::Fault, kPrivileged},
    {"clts", {0x0f, 0x06}, Action::Fault, kPrivileged},

    // Flags: only popfd is let through, and it is watched.
    {"popfd", {0x9d}, Action::Popf},
    {"popfw", {0x66, 0x9d}, Action::Fault, kInvalid},
    {"pushfw", {0x66, 0x9c}, Action::Fault, kInvalid},

    // Kernel entries other than int $0x80, and what the sandbox cannot allow.
    {"syscall", {0x0f, 0x05}, Action::Fault, kInvalid},
    {"sysenter", {0x0f, 0x34}, Action::Fault, kInvalid},
    {"wrpkru", {0x0f, 0x01, 0xef}, Action::Fault},
    {"rdpkru", {0x0f, 0x01, 0xee}, Action::Fault},
    {"xbegin", {0xc7, 0xf8, 0x00, 0x00, 0x00, 0x00}, Action::Fault},
    {"ud2", {0x0f, 0x0b}, Action::Fault, kInvalid},
};

class PolicyTest : public ::testing::TestWithParam<PolicyCase> {};

std::string hex(const std::vector<uint8_t>& bytes) {
    std::string s;
    char buffer[4];
    for (uint8_t b : bytes) {
        std::snprintf(buffer, sizeof buffer, "%02x ", b);
        s += buffer;
    }
    return s;
}

TEST_P(PolicyTest, Classifies) {
    const PolicyCase& c = GetParam();
    vx::x86::Instruction insn;
    ASSERT_EQ(vx::x86::decode(c.bytes.data(), c.bytes.size(), insn), vx::x86::DecodeStatus::Ok)
        << hex(c.bytes);
    ASSERT_EQ(insn.length(), c.bytes.size()) << hex(c.bytes);
    vx::x86::Decision d = vx::x86::classify(insn);
    EXPECT_EQ(d.action, c.action) << hex(c.bytes) << "is " << action_name(d.action) << " (" << d.reason
                                  << "), expected " << action_name(c.action);
    if (c.action == Action::Fault && d.action == Action::Fault) {
        EXPECT_NE(std::string(d.reason), "") << hex(c.bytes);
        if (c.fault) {
            EXPECT_EQ(d.fault, *c.fault) << hex(c.bytes) << "is " << vx::to_string(d.fault);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Table, PolicyTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<PolicyCase>& info) {
                             return std::string(info.param.name);
                         });

// xrstor could rewrite PKRU, the host's memory protection keys, when the OS
// keeps PKRU in the xsave state; otherwise the xsave family is harmless.
__attribute__((target("xsave"))) bool os_keeps_pkru_in_xsave_state() {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return false;
    return _xgetbv(0) & (1u << 9);
}

TEST(PolicyXsave, AllowedUnlessPkruIsInXcr0) {
    const std::vector<std::vector<uint8_t>> xsaves = {
        {0x0f, 0xae, 0x20},  // xsave [eax]
        {0x0f, 0xae, 0x28},  // xrstor [eax]
        {0x0f, 0xae, 0x30},  // xsaveopt [eax]
        {0x0f, 0xc7, 0x20},  // xsavec [eax]
    };
    const Action expected = os_keeps_pkru_in_xsave_state() ? Action::Fault : Action::Copy;
    for (const auto& bytes : xsaves) {
        vx::x86::Instruction insn;
        ASSERT_EQ(vx::x86::decode(bytes.data(), bytes.size(), insn), vx::x86::DecodeStatus::Ok) << hex(bytes);
        EXPECT_EQ(vx::x86::classify(insn).action, expected) << hex(bytes);
    }
}

TEST(PolicyXsave, SupervisorStateRestoreIsNeverAllowed) {
    const std::vector<std::vector<uint8_t>> supervisor = {
        {0x0f, 0xc7, 0x18},  // xrstors [eax]
        {0x0f, 0xc7, 0x28},  // xsaves [eax]
        {0x0f, 0x01, 0xd1},  // xsetbv
    };
    for (const auto& bytes : supervisor) {
        vx::x86::Instruction insn;
        ASSERT_EQ(vx::x86::decode(bytes.data(), bytes.size(), insn), vx::x86::DecodeStatus::Ok) << hex(bytes);
        EXPECT_EQ(vx::x86::classify(insn).action, Action::Fault) << hex(bytes);
    }
}

// Linux gives SIGILL for `syscall` in 32-bit code on Intel; its hidden cs/ss
// operands must not make it "privileged".
TEST(PolicySystemCallInstructions, SyscallIsAnInvalidInstruction) {
    const uint8_t bytes[] = {0x0f, 0x05};
    vx::x86::Instruction insn;
    ASSERT_EQ(vx::x86::decode(bytes, sizeof bytes, insn), vx::x86::DecodeStatus::Ok);
    vx::x86::Decision d = vx::x86::classify(insn);
    EXPECT_EQ(d.action, Action::Fault);
    EXPECT_EQ(d.fault, kInvalid) << vx::to_string(d.fault);
}

TEST(PolicySegmentOverride, ReportsTheExplicitPrefix) {
    struct Row {
        std::vector<uint8_t> bytes;
        ZydisRegister segment;
    };
    const std::vector<Row> rows = {
        {{0x8b, 0x03}, ZYDIS_REGISTER_NONE},       {{0x26, 0x8b, 0x03}, ZYDIS_REGISTER_ES},
        {{0x2e, 0x8b, 0x03}, ZYDIS_REGISTER_CS},   {{0x36, 0x8b, 0x03}, ZYDIS_REGISTER_SS},
        {{0x3e, 0x8b, 0x03}, ZYDIS_REGISTER_DS},   {{0x64, 0x8b, 0x03}, ZYDIS_REGISTER_FS},
        {{0x65, 0x8b, 0x03}, ZYDIS_REGISTER_GS},
    };
    for (const Row& row : rows) {
        vx::x86::Instruction insn;
        ASSERT_EQ(vx::x86::decode(row.bytes.data(), row.bytes.size(), insn), vx::x86::DecodeStatus::Ok);
        EXPECT_EQ(vx::x86::segment_override(insn), row.segment) << hex(row.bytes);
    }
}

TEST(Decoder, LockOnNopIsInvalid) {
    const uint8_t bytes[] = {0xf0, 0x90};
    vx::x86::Instruction insn;
    EXPECT_EQ(vx::x86::decode(bytes, sizeof bytes, insn), vx::x86::DecodeStatus::Invalid);
}

TEST(Decoder, LockOnRegisterDestinationIsInvalid) {
    const uint8_t bytes[] = {0xf0, 0x01, 0xd8};  // lock add eax, ebx
    vx::x86::Instruction insn;
    EXPECT_EQ(vx::x86::decode(bytes, sizeof bytes, insn), vx::x86::DecodeStatus::Invalid);
}

TEST(Decoder, SixteenPrefixesAreTooLong) {
    std::vector<uint8_t> bytes(16, 0x66);
    bytes.push_back(0x90);
    vx::x86::Instruction insn;
    EXPECT_EQ(vx::x86::decode(bytes.data(), bytes.size(), insn), vx::x86::DecodeStatus::TooLong);
}

TEST(Decoder, FifteenBytesAreNotTooLong) {
    std::vector<uint8_t> bytes(14, 0x66);
    bytes.push_back(0x90);
    vx::x86::Instruction insn;
    ASSERT_EQ(vx::x86::decode(bytes.data(), bytes.size(), insn), vx::x86::DecodeStatus::Ok);
    EXPECT_EQ(insn.length(), 15u);
}

TEST(Decoder, FifteenPrefixesWithNothingAfterAreTooLong) {
    // The 15-byte window is all the CPU looks at: no opcode in it is #GP, not "truncated".
    std::vector<uint8_t> bytes(15, 0x66);
    vx::x86::Instruction insn;
    EXPECT_EQ(vx::x86::decode(bytes.data(), bytes.size(), insn), vx::x86::DecodeStatus::TooLong);
}

TEST(Decoder, CutShortInstructionIsTruncated) {
    const uint8_t bytes[] = {0xe9, 0x00, 0x01, 0x00, 0x00};  // jmp rel32
    vx::x86::Instruction insn;
    for (size_t available = 1; available < sizeof bytes; ++available)
        EXPECT_EQ(vx::x86::decode(bytes, available, insn), vx::x86::DecodeStatus::Truncated) << available;
    ASSERT_EQ(vx::x86::decode(bytes, sizeof bytes, insn), vx::x86::DecodeStatus::Ok);
    EXPECT_EQ(insn.length(), 5u);
    EXPECT_EQ(insn.bytes, bytes);
}

TEST(Decoder, DecodesAsThirtyTwoBitCode) {
    const uint8_t bytes[] = {0x48};  // dec eax in 32-bit mode, a REX prefix in 64-bit mode
    vx::x86::Instruction insn;
    ASSERT_EQ(vx::x86::decode(bytes, sizeof bytes, insn), vx::x86::DecodeStatus::Ok);
    EXPECT_EQ(insn.mnemonic(), ZYDIS_MNEMONIC_DEC);
    EXPECT_EQ(insn.length(), 1u);
}

}  // namespace
