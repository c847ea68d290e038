// Looks at the x86-64 code the translator writes for single guest
// instructions: what must hold of it whatever the guest wrote.
#include <gtest/gtest.h>

#include <Zydis/Zydis.h>

#include <algorithm>
#include <vector>

#include "dbt/cache/code_cache.h"
#include "dbt/runtime/runtime_layout.h"
#include "dbt/translate/translator.h"

namespace {

constexpr uint32_t kCode = 0x10000;

struct HostInsn {
    ZydisDecodedInstruction info;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
};

class TranslatorTest : public ::testing::Test {
protected:
    TranslatorTest() : memory_(16u << 20), cache_(1u << 20), translator_(memory_, cache_, links_, false) {
        memory_.map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
        links_.exit_stub = cache_.cursor();
        links_.miss_path = cache_.cursor();
    }

    // Translates `bytes` (followed by int3) and decodes the host code of the
    // first guest instruction.
    std::vector<HostInsn> translate_first(std::vector<uint8_t> bytes) {
        bytes.push_back(0xcc);
        memory_.write(kCode, bytes.data(), bytes.size());
        vx::dbt::Block block = translator_.translate(kCode, {}, [](uint32_t) { return uint64_t(0); });
        uint64_t end = block.insns.size() > 1 ? block.host_entry + block.insns[1].host_offset
                                              : block.host_body_end;
        ZydisDecoder decoder;
        ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        std::vector<HostInsn> out;
        for (uint64_t pc = block.host_entry + block.prologue_end; pc < end;) {  // after the stop check
            HostInsn insn;
            EXPECT_TRUE(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, cache_.writable(pc), end - pc,
                                                            &insn.info, insn.ops)));
            out.push_back(insn);
            pc += insn.info.length;
        }
        return out;
    }

    // The host code of the whole block at kCode (`bytes` followed by int3)
    // after its gate slot and fuel check, its exit stubs left out.
    std::vector<HostInsn> translate_whole(std::vector<uint8_t> bytes) {
        bytes.push_back(0xcc);
        memory_.write(kCode, bytes.data(), bytes.size());
        vx::dbt::Block block = translator_.translate(kCode, {}, [](uint32_t) { return uint64_t(0); });
        ZydisDecoder decoder;
        ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        std::vector<HostInsn> out;
        for (uint64_t pc = block.host_entry + block.prologue_end; pc < block.host_body_end;) {
            HostInsn insn;
            EXPECT_TRUE(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, cache_.writable(pc), block.host_body_end - pc,
                                                            &insn.info, insn.ops)));
            out.push_back(insn);
            pc += insn.info.length;
        }
        return out;
    }

    vx::GuestMemory memory_;
    vx::dbt::CodeCache cache_;
    vx::dbt::RuntimeLinks links_;
    vx::dbt::Translator translator_;
};

// `call [r15 + CTX_XSTATE_GATE]`: the block loads the guest's extended state.
bool is_gate(const HostInsn& insn) {
    return insn.info.mnemonic == ZYDIS_MNEMONIC_CALL && insn.ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
           insn.ops[0].mem.base == ZYDIS_REGISTER_R15 && insn.ops[0].mem.disp.value == CTX_XSTATE_GATE;
}

// Every memory access of a translated guest instruction goes through %gs with
// 32-bit addressing (or a small non-negative absolute address). The guest
// instructions given here all access memory, so there must be code, and an
// access in it, for the check to mean anything.
void expect_confined(const std::vector<HostInsn>& code) {
    EXPECT_FALSE(code.empty()) << "no host code was emitted";
    int accesses = 0;
    for (const HostInsn& insn : code) {
        if (is_gate(insn)) continue;  // the engine's, into the runtime context
        for (size_t i = 0; i < insn.info.operand_count; ++i) {
            const ZydisDecodedOperand& op = insn.ops[i];
            if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || op.mem.type == ZYDIS_MEMOP_TYPE_AGEN) continue;
            ++accesses;
            EXPECT_EQ(op.mem.segment, ZYDIS_REGISTER_GS) << ZydisMnemonicGetString(insn.info.mnemonic);
            bool small_absolute = op.mem.base == ZYDIS_REGISTER_NONE && op.mem.index == ZYDIS_REGISTER_NONE &&
                                  op.mem.disp.value >= 0 && op.mem.disp.value < (int64_t(1) << 31);
            EXPECT_TRUE(insn.info.address_width == 32 || small_absolute)
                << ZydisMnemonicGetString(insn.info.mnemonic);
        }
    }
    EXPECT_GT(accesses, 0) << "the emitted code (" << code.size() << " instructions) accesses no memory";
}

// Decodes `bytes` as the one guest instruction they are.
vx::x86::Instruction decoded(const std::vector<uint8_t>& bytes) {
    vx::x86::Instruction insn;
    EXPECT_EQ(vx::x86::decode(bytes.data(), bytes.size(), insn), vx::x86::DecodeStatus::Ok);
    EXPECT_EQ(insn.length(), bytes.size());
    return insn;
}

struct Sample {
    const char* name;
    std::vector<uint8_t> bytes;
};

// Instructions that read or write the extended state, each in a form the
// guest could start a run with: all load the guest's state first.
const std::vector<Sample> kExtendedStateUsers = {
    {"movdqa [eax], xmm7", {0x66, 0x0f, 0x7f, 0x38}},
    {"movaps [eax], xmm6", {0x0f, 0x29, 0x30}},
    {"pxor xmm0, xmm0 (a write only)", {0x66, 0x0f, 0xef, 0xc0}},
    {"pextrw eax, xmm5, 0", {0x66, 0x0f, 0xc5, 0xc5, 0x00}},
    {"pextrw eax, mm1, 0", {0x0f, 0xc5, 0xc1, 0x00}},
    {"cvttsd2si eax, xmm4", {0xf2, 0x0f, 0x2c, 0xc4}},
    {"cvtsi2sd xmm0, eax", {0xf2, 0x0f, 0x2a, 0xc0}},
    {"movd eax, xmm0", {0x66, 0x0f, 0x7e, 0xc0}},
    {"movq [eax], mm1", {0x0f, 0x7f, 0x08}},
    {"emms", {0x0f, 0x77}},
    {"vmovdqu [eax], ymm3", {0xc5, 0xfe, 0x7f, 0x18}},
    {"vzeroupper", {0xc5, 0xf8, 0x77}},
    {"vmovdqu64 [eax], zmm2", {0x62, 0xf1, 0xfe, 0x48, 0x7f, 0x10}},
    {"kmovw eax, k3", {0xc5, 0xf8, 0x93, 0xc3}},
    {"vpgatherdd zmm0{k1}, [ebx+zmm2*4]", {0x62, 0xf2, 0x7d, 0x49, 0x90, 0x04, 0x93}},
    {"fnstsw ax", {0xdf, 0xe0}},
    {"fnstcw [eax]", {0xd9, 0x38}},
    {"fnstenv [eax]", {0xd9, 0x30}},
    {"fnsave [eax]", {0xdd, 0x30}},
    {"fninit", {0xdb, 0xe3}},
    {"fnclex", {0xdb, 0xe2}},
    {"fwait", {0x9b}},
    {"fnop", {0xd9, 0xd0}},
    {"fld1", {0xd9, 0xe8}},
    {"fcomi st0, st1 (PPRO's set)", {0xdb, 0xf1}},
    {"fcmovb st0, st1", {0xda, 0xc1}},
    {"stmxcsr [eax]", {0x0f, 0xae, 0x18}},
    {"ldmxcsr [eax]", {0x0f, 0xae, 0x10}},
    {"fxsave [eax]", {0x0f, 0xae, 0x00}},
    {"fxrstor [eax]", {0x0f, 0xae, 0x08}},
    {"xsave [eax]", {0x0f, 0xae, 0x20}},
    {"xrstor [eax]", {0x0f, 0xae, 0x28}},
    {"xgetbv (ecx 1 reads XINUSE)", {0x0f, 0x01, 0xd0}},
    {"femms", {0x0f, 0x0e}},
    {"pclmulqdq xmm0, xmm1, 0", {0x66, 0x0f, 0x3a, 0x44, 0xc1, 0x00}},
    {"sha1rnds4 xmm0, xmm1, 0", {0x0f, 0x3a, 0xcc, 0xc1, 0x00}},
};

// Instructions known to be integer-only: they run without the guest's
// extended state (the state is loaded only when a block needs it).
const std::vector<Sample> kIntegerOnly = {
    {"add eax, ebx", {0x01, 0xd8}},
    {"mov [eax], ebx", {0x89, 0x18}},
    {"push eax", {0x50}},
    {"imul eax, ebx", {0x0f, 0xaf, 0xc3}},
    {"lea eax, [ebx+ecx*4]", {0x8d, 0x04, 0x8b}},
    {"cmovz eax, ebx", {0x0f, 0x44, 0xc3}},
    {"bswap eax", {0x0f, 0xc8}},
    {"popcnt eax, ecx", {0xf3, 0x0f, 0xb8, 0xc1}},
    {"tzcnt eax, ecx", {0xf3, 0x0f, 0xbc, 0xc1}},
    {"andn eax, ecx, edx", {0xc4, 0xe2, 0x70, 0xf2, 0xc2}},
    {"movbe eax, [ebx]", {0x0f, 0x38, 0xf0, 0x03}},
    {"cpuid", {0x0f, 0xa2}},
    {"rdtsc", {0x0f, 0x31}},
    {"endbr32", {0xf3, 0x0f, 0x1e, 0xfb}},
    {"nop [eax]", {0x0f, 0x1f, 0x00}},
    {"prefetchnta [eax]", {0x0f, 0x18, 0x00}},
    {"lfence", {0x0f, 0xae, 0xe8}},
    {"movnti [eax], ebx", {0x0f, 0xc3, 0x18}},
    {"crc32 eax, ecx", {0xf2, 0x0f, 0x38, 0xf1, 0xc1}},
    {"rep movsd", {0xf3, 0xa5}},
    {"lock cmpxchg8b [esi]", {0xf0, 0x0f, 0xc7, 0x0e}},
};

TEST_F(TranslatorTest, LockPrefixSurvives) {
    auto code = translate_first({0xf0, 0x0f, 0xc1, 0x03});  // lock xadd [ebx], eax
    ASSERT_EQ(code.size(), 1u);
    EXPECT_EQ(code[0].info.mnemonic, ZYDIS_MNEMONIC_XADD);
    EXPECT_TRUE(code[0].info.attributes & ZYDIS_ATTRIB_HAS_LOCK);
    expect_confined(code);
}

TEST_F(TranslatorTest, EspBecomesR12d) {
    auto code = translate_first({0x8b, 0x44, 0x24, 0x08});  // mov eax, [esp+8]
    ASSERT_EQ(code.size(), 1u);
    EXPECT_EQ(code[0].ops[1].mem.base, ZYDIS_REGISTER_R12D);
    EXPECT_EQ(code[0].ops[1].mem.disp.value, 8);
    expect_confined(code);
}

TEST_F(TranslatorTest, GuestSegmentOverridesBecomeGs) {
    for (auto bytes : std::vector<std::vector<uint8_t>>{
             {0x2e, 0x8b, 0x03},        // mov eax, cs:[ebx]
             {0x26, 0x8b, 0x03},        // mov eax, es:[ebx]
             {0x64, 0x8b, 0x03},        // mov eax, fs:[ebx]
             {0x65, 0x8b, 0x43, 0xfc},  // mov eax, gs:[ebx-4]
             {0x36, 0x89, 0x1d, 0, 0, 0, 0x90},  // mov ss:[0x90000000], ebx
         }) {
        expect_confined(translate_first(bytes));
    }
}

TEST_F(TranslatorTest, WideAndGatherAccessesAreConfined) {
    expect_confined(translate_first({0x62, 0xf1, 0x7c, 0x48, 0x10, 0x04, 0x8b}));  // vmovups zmm0, [ebx+ecx*4]
    expect_confined(translate_first({0x62, 0xf2, 0x7d, 0x4a, 0x90, 0x04, 0x95, 0xc0, 0xb5, 0x04, 0x08}));  // vpgatherdd
    expect_confined(translate_first({0x0f, 0xae, 0x0b}));  // fxrstor [ebx]
    expect_confined(translate_first({0x0f, 0xc7, 0x0e}));  // cmpxchg8b [esi]
}

// A block with an instruction that needs the extended state starts by
// calling the gate (in its gate slot, before the fuel check); a block of
// integer code has a nop there. Blocks it chains to are entered past theirs.
TEST_F(TranslatorTest, ABlockThatNeedsTheExtendedStateCallsTheGateFirst) {
    auto starts_with_gate = [&](std::vector<uint8_t> bytes) {
        bytes.push_back(0xcc);
        memory_.write(kCode, bytes.data(), bytes.size());
        vx::dbt::Block block = translator_.translate(kCode, {}, [](uint32_t) { return uint64_t(0); });
        HostInsn first;
        ZydisDecoder decoder;
        ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        EXPECT_TRUE(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, cache_.writable(block.host_entry),
                                                        vx::dbt::kGateSlotBytes, &first.info, first.ops)));
        EXPECT_EQ(first.info.length, vx::dbt::kGateSlotBytes);
        EXPECT_EQ(is_gate(first), block.loads_extended_state);
        if (!is_gate(first)) {
            EXPECT_EQ(first.info.mnemonic, ZYDIS_MNEMONIC_NOP);
        }
        for (const HostInsn& insn : translate_whole(bytes)) EXPECT_FALSE(is_gate(insn)) << "a gate after the slot";
        return block.loads_extended_state;
    };
    for (const Sample& sample : kExtendedStateUsers) EXPECT_TRUE(starts_with_gate(sample.bytes)) << sample.name;
    for (const Sample& sample : kIntegerOnly) EXPECT_FALSE(starts_with_gate(sample.bytes)) << sample.name;
    // add eax, ebx; movd xmm0, eax: the add is in a block that loads the state.
    EXPECT_TRUE(starts_with_gate({0x01, 0xd8, 0x66, 0x0f, 0x6e, 0xc0}));
}

TEST_F(TranslatorTest, PushWritesBelowTheGuestStackFirst) {
    auto code = translate_first({0x50});  // push eax
    ASSERT_EQ(code.size(), 2u);
    EXPECT_EQ(code[0].info.mnemonic, ZYDIS_MNEMONIC_MOV);  // the store may fault: esp unchanged
    EXPECT_EQ(code[0].ops[0].mem.base, ZYDIS_REGISTER_R12D);
    EXPECT_EQ(code[0].ops[0].mem.disp.value, -4);
    EXPECT_EQ(code[1].info.mnemonic, ZYDIS_MNEMONIC_LEA);
    expect_confined(code);
}

TEST(ExtendedStateUse, EveryKindOfX87AndVectorInstructionNeedsIt) {
    for (const Sample& sample : kExtendedStateUsers)
        EXPECT_TRUE(vx::dbt::needs_extended_state(decoded(sample.bytes))) << sample.name;
}

TEST(ExtendedStateUse, IntegerInstructionsDoNot) {
    for (const Sample& sample : kIntegerOnly)
        EXPECT_FALSE(vx::dbt::needs_extended_state(decoded(sample.bytes))) << sample.name;
}

}  // namespace
