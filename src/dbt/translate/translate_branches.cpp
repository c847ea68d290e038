// Branches: direct ones leave through exit stubs the engine chains (see
// BlockWriter::finish_exits); indirect ones and ret find their target's
// translation in the lookup table inline.
#include "dbt/translate/block_writer.h"

namespace vx::dbt {

void BlockWriter::jump_to_guest(uint32_t target) {
    const Label stub = out_.new_label();
    pending_.push_back({out_.jump(stub), target, stub});
}

void BlockWriter::jump_to_guest_if(ZydisMnemonic jcc, uint32_t target) {
    const Label stub = out_.new_label();
    pending_.push_back({out_.jump_if(jcc, stub), target, stub});
}

void BlockWriter::jump_if(const Instruction& insn, uint32_t target, uint32_t next) {
    jump_to_guest_if(insn.mnemonic(), target);
    jump_to_guest(next);
}

void BlockWriter::loop(const Instruction& insn, uint32_t target, uint32_t next) {
    if (insn.info.address_width == 16) return loop_cx(insn, target, next);
    const Label taken = out_.new_label();
    out_.loop_ecx(insn.mnemonic(), taken);
    jump_to_guest(next);
    out_.bind(taken);
    jump_to_guest(target);
}

// With a 16-bit address size (67) the counter is cx, which x86-64 code
// cannot name as one: cx is decremented in place (ecx's upper half stays) and
// tested zero-extended in rcx, borrowed through r13. lea, mov, movzx, xchg
// and jrcxz leave the guest's flags alone; loope/loopne then read them.
void BlockWriter::loop_cx(const Instruction& insn, uint32_t target, uint32_t next) {
    const ZydisRegister rcx = ZYDIS_REGISTER_RCX, cx = ZYDIS_REGISTER_CX;
    const ZydisMnemonic m = insn.mnemonic();
    const bool counts = m != ZYDIS_MNEMONIC_JCXZ;
    if (counts) {
        out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kScratch), mem(ZYDIS_REGISTER_ECX, -1, 4)});
        out_.insn(ZYDIS_MNEMONIC_MOV, {reg(cx), reg(ZYDIS_REGISTER_R13W)});
    }
    out_.insn(ZYDIS_MNEMONIC_MOVZX, {reg(kScratch), reg(cx)});
    out_.insn(ZYDIS_MNEMONIC_XCHG, {reg(rcx), reg(kScratch64)});
    const Label zero = out_.new_label();
    out_.jump_if_rcx_zero(zero);
    out_.insn(ZYDIS_MNEMONIC_XCHG, {reg(rcx), reg(kScratch64)});
    if (!counts) {
        jump_to_guest(next);
    } else {
        if (m == ZYDIS_MNEMONIC_LOOPE) jump_to_guest_if(ZYDIS_MNEMONIC_JNZ, next);
        if (m == ZYDIS_MNEMONIC_LOOPNE) jump_to_guest_if(ZYDIS_MNEMONIC_JZ, next);
        jump_to_guest(target);
    }
    out_.bind(zero);
    out_.insn(ZYDIS_MNEMONIC_XCHG, {reg(rcx), reg(kScratch64)});
    jump_to_guest(counts ? next : target);
}

void BlockWriter::call(uint32_t target, uint32_t next) {
    push(imm(int32_t(next)));
    jump_to_guest(target);
}

void BlockWriter::ret(const Instruction& insn) {
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kTarget), mem(kGuestEsp, 0, 4)});
    uint32_t extra = insn.operand_count() ? uint32_t(insn.operands[0].imm.value.u) : 0;
    adjust_esp(4 + int64_t(extra));
    jump_indirect();
}

bool BlockWriter::load_target(const Instruction& insn) {
    ZydisEncoderRequest r = mov_request(reg(kTarget), to_host(insn.operands[0], segments_));
    return emit_guest_request(r);
}

bool BlockWriter::jump_through_operand(const Instruction& insn) {
    if (!load_target(insn)) return false;
    jump_indirect();
    return true;
}

bool BlockWriter::call_through_operand(const Instruction& insn, uint32_t next) {
    if (!load_target(insn)) return false;
    push(imm(int32_t(next)));
    jump_indirect();
    return true;
}

// Goes to the translation of the guest address in r10d. The lookup sits at
// every indirect branch rather than in one shared stub, so that each branch
// gets its own slot in the CPU's branch predictor. It compares with lea and
// jrcxz, leaving the guest's flags alone; rcx is borrowed through r11.
// (The lookup table holds block entries, each at a gate slot.)
void BlockWriter::jump_indirect() {
    const ZydisRegister rcx = ZYDIS_REGISTER_RCX, ecx = ZYDIS_REGISTER_ECX, r11 = ZYDIS_REGISTER_R11;
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(r11), reg(rcx)});
    out_.insn(ZYDIS_MNEMONIC_MOVZX, {reg(ecx), reg(ZYDIS_REGISTER_R10W)});
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ecx), mem(kCtx, CTX_LOOKUP_KEYS, 4, rcx, 4)});
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(ecx), mem(rcx, 1, 8, ZYDIS_REGISTER_R10, 1)});  // ~eip + target + 1
    const Label hit = out_.new_label();
    out_.jump_if_rcx_zero(hit);  // the lea zero-extended ecx into rcx
    out_.jump(links_.miss_path);
    out_.bind(hit);
    out_.insn(ZYDIS_MNEMONIC_MOVZX, {reg(ecx), reg(ZYDIS_REGISTER_R10W)});
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch64), mem(kCtx, CTX_LOOKUP_TARGETS, 8, rcx, 8)});
    // Past the target's gate slot when this block loaded the extended state.
    const int64_t past_slot = block_.loads_extended_state ? kGateSlotBytes : 0;
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kScratch64), mem(kScratch64, past_slot, 8, kMissPath, 1)});
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(rcx), reg(r11)});
    out_.insn(ZYDIS_MNEMONIC_JMP, {reg(kScratch64)});
}

}  // namespace vx::dbt
