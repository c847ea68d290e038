// The Emitter's labels and named encodings: the bytes they write.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "dbt/emit/emitter.h"

namespace {

using vx::dbt::Emitter;
using vx::dbt::Label;

constexpr uint64_t kExec = 0x7f0000001000;

class EmitterTest : public ::testing::Test {
protected:
    std::vector<uint8_t> bytes() const { return {buffer_, buffer_ + out_.size()}; }
    int32_t rel32_at(uint64_t site) const {
        int32_t rel;
        std::memcpy(&rel, buffer_ + (site - kExec), 4);
        return rel;
    }

    uint8_t buffer_[256] = {};
    Emitter out_{buffer_, kExec};
};

TEST_F(EmitterTest, AForwardBranchReachesWhereItsLabelIsBound) {
    Label l = out_.new_label();
    uint64_t site = out_.jump_if(ZYDIS_MNEMONIC_JNZ, l);
    EXPECT_TRUE(out_.has_unbound_branches());
    out_.insn(ZYDIS_MNEMONIC_NOP, {});
    out_.bind(l);
    EXPECT_FALSE(out_.has_unbound_branches());
    EXPECT_EQ(bytes(), (std::vector<uint8_t>{0x0f, 0x85, 0x01, 0x00, 0x00, 0x00, 0x90}));
    EXPECT_EQ(site, kExec + 2);
}

TEST_F(EmitterTest, ABackwardBranchIsResolvedAtOnce) {
    Label top = out_.new_label();
    out_.bind(top);
    out_.insn(ZYDIS_MNEMONIC_NOP, {});
    uint64_t site = out_.jump(top);
    EXPECT_FALSE(out_.has_unbound_branches());
    EXPECT_EQ(rel32_at(site), -6);  // back over the jmp (5 bytes) and the nop
}

TEST_F(EmitterTest, SeveralBranchesToOneLabel) {
    Label l = out_.new_label();
    uint64_t a = out_.jump(l);
    uint64_t b = out_.jump_if(ZYDIS_MNEMONIC_JB, l);
    out_.bind(l);
    EXPECT_EQ(rel32_at(a), 6);
    EXPECT_EQ(rel32_at(b), 0);
}

TEST_F(EmitterTest, ShortBranches) {
    Label l = out_.new_label();
    out_.jump_if_rcx_zero(l);
    out_.loop_ecx(ZYDIS_MNEMONIC_LOOPNE, l);
    out_.loop_ecx(ZYDIS_MNEMONIC_JECXZ, l);
    out_.bind(l);
    EXPECT_EQ(bytes(), (std::vector<uint8_t>{0xe3, 0x06, 0x67, 0xe0, 0x03, 0x67, 0xe3, 0x00}));
}

TEST_F(EmitterTest, AJumpToAnAddressAndItsRetargeting) {
    uint64_t site = out_.jump(kExec + 0x100);
    EXPECT_EQ(buffer_[0], 0xe9);
    EXPECT_EQ(rel32_at(site), 0x100 - 5);
    out_.retarget(site, kExec);
    EXPECT_EQ(rel32_at(site), -5);
    Emitter::patch_rel32(buffer_ + 1, site, kExec + 5);  // as the engine chains
    EXPECT_EQ(rel32_at(site), 0);
}

TEST_F(EmitterTest, TruncateForgetsTheBranchesItRemoves) {
    Label l = out_.new_label();
    out_.jump(l);
    out_.truncate(0);
    EXPECT_FALSE(out_.has_unbound_branches());
    out_.insn(ZYDIS_MNEMONIC_NOP, {});
    out_.bind(l);  // writes nothing where the branch was
    EXPECT_EQ(bytes(), (std::vector<uint8_t>{0x90}));
    EXPECT_EQ(buffer_[1], 0x00);
}

TEST_F(EmitterTest, AnAdditionSetLater) {
    uint64_t site = out_.add_later(ZYDIS_REGISTER_R9);
    EXPECT_EQ(bytes(), (std::vector<uint8_t>{0x4d, 0x8d, 0x89, 0, 0, 0, 0}));  // lea r9, [r9 + disp32]
    out_.set_int32(site, -3);
    EXPECT_EQ(rel32_at(site), -3);
}

TEST_F(EmitterTest, StringInstructions) {
    out_.string_op(0xa4, 2, 0xf3);  // rep movsw
    out_.string_op(0xae, 1, 0xf2);  // repne scasb
    out_.string_op(0xaa, 4, 0);     // stosd
    EXPECT_EQ(bytes(), (std::vector<uint8_t>{0x66, 0xf3, 0xa5, 0xf2, 0xae, 0xab}));
}

TEST_F(EmitterTest, APrefixInFrontOfAnInstruction) {
    out_.insn(ZYDIS_MNEMONIC_NOP, {});
    out_.insn(ZYDIS_MNEMONIC_MOV, {vx::dbt::reg(ZYDIS_REGISTER_EAX), vx::dbt::reg(ZYDIS_REGISTER_EBX)});
    out_.prefix(1, 0x67);
    EXPECT_EQ(bytes(), (std::vector<uint8_t>{0x90, 0x67, 0x89, 0xd8}));
}

TEST_F(EmitterTest, ALabelBoundTwiceIsAnInternalError) {
    Label l = out_.new_label();
    out_.bind(l);
    EXPECT_DEATH(out_.bind(l), "label bound twice");
}

}  // namespace
