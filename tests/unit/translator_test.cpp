// Looks at the x86-64 code the translator writes for single guest
// instructions: what must hold of it whatever the guest wrote.
#include <gtest/gtest.h>

#include <Zydis/Zydis.h>

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

TEST_F(TranslatorTest, PushWritesBelowTheGuestStackFirst) {
    auto code = translate_first({0x50});  // push eax
    ASSERT_EQ(code.size(), 2u);
    EXPECT_EQ(code[0].info.mnemonic, ZYDIS_MNEMONIC_MOV);  // the store may fault: esp unchanged
    EXPECT_EQ(code[0].ops[0].mem.base, ZYDIS_REGISTER_R12D);
    EXPECT_EQ(code[0].ops[0].mem.disp.value, -4);
    EXPECT_EQ(code[1].info.mnemonic, ZYDIS_MNEMONIC_LEA);
    expect_confined(code);
}

}  // namespace
