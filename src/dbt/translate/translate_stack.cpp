// Stack instructions, on the guest's esp (r12d): each store happens before
// esp moves, so that a fault leaves esp as it was, as the CPU does.
#include "dbt/translate/block_writer.h"

namespace vx::dbt {

namespace {

constexpr uint32_t kTrapAndNestedTask = (1u << 8) | (1u << 14);

}  // namespace

void BlockWriter::push(ZydisEncoderOperand value, uint16_t bytes) {  // faults before esp moves, as the CPU does
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {mem(kGuestEsp, -int64_t(bytes), bytes), value});
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kGuestEsp), mem(kGuestEsp, -int64_t(bytes), 4)});
}

void BlockWriter::adjust_esp(int64_t delta) {
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kGuestEsp), mem(kGuestEsp, delta, 4)});
}

// 32-bit pushes and pops, and 16-bit ones (a 66 prefix: two bytes of the
// stack and the low halves of registers, esp moving by 2, as the CPU does).
namespace {

uint16_t stack_bytes(const Instruction& insn) {
    return insn.info.operand_width == 32 || insn.info.operand_width == 16 ? uint16_t(insn.info.operand_width / 8) : 0;
}

ZydisRegister scratch_of(uint16_t bytes) { return bytes == 4 ? kScratch : ZYDIS_REGISTER_R13W; }

}  // namespace

bool BlockWriter::push_operand(const Instruction& insn) {
    const ZydisDecodedOperand& op = insn.operands[0];
    const uint16_t bytes = stack_bytes(insn);
    if (!bytes) return false;
    switch (op.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        push(reg(rename(op.reg.value)), bytes);
        return true;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        push(imm(bytes == 4 ? int64_t(int32_t(op.imm.value.u)) : int64_t(int16_t(op.imm.value.u))), bytes);
        return true;
    case ZYDIS_OPERAND_TYPE_MEMORY: {
        ZydisEncoderRequest r = mov_request(reg(scratch_of(bytes)), to_host(op, segments_));
        if (!emit_guest_request(r)) return false;
        push(reg(scratch_of(bytes)), bytes);
        return true;
    }
    default:
        return false;
    }
}

bool BlockWriter::pop_operand(const Instruction& insn) {
    const ZydisDecodedOperand& op = insn.operands[0];
    const uint16_t bytes = stack_bytes(insn);
    if (!bytes) return false;
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) {
        // pop m: the destination's address is computed with esp already
        // past the value; esp moves only once the store is done, so a fault
        // leaves it unchanged, as the CPU does.
        ZydisDecodedOperand destination = op;
        if (destination.mem.base == ZYDIS_REGISTER_ESP) {
            destination.mem.disp.has_displacement = true;
            destination.mem.disp.value = int64_t(int32_t(uint32_t(destination.mem.disp.value) + bytes));
        }
        out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(scratch_of(bytes)), mem(kGuestEsp, 0, bytes)});
        ZydisEncoderRequest r = mov_request(to_host(destination, segments_), reg(scratch_of(bytes)));
        if (!emit_guest_request(r)) return false;
        adjust_esp(bytes);
        return true;
    }
    if (op.type != ZYDIS_OPERAND_TYPE_REGISTER) return false;
    ZydisRegister dst = rename(op.reg.value);
    // (pop sp: whether sp is the value or the value moved by 2 is where
    // descriptions of the CPU disagree; no compiler emits it.)
    if (dst == ZYDIS_REGISTER_R12W) return false;
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(dst), mem(kGuestEsp, 0, bytes)});
    if (dst != kGuestEsp) adjust_esp(bytes);  // pop esp: esp is the value read
    return true;
}

void BlockWriter::push_flags() {
    out_.insn(ZYDIS_MNEMONIC_PUSHFQ, {});
    out_.insn(ZYDIS_MNEMONIC_POP, {reg(kScratch64)});
    push(reg(kScratch));
}

void BlockWriter::pop_flags() {
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), mem(kGuestEsp, 0, 4)});
    adjust_esp(4);
    out_.insn(ZYDIS_MNEMONIC_AND, {reg(kScratch), imm(int32_t(~kTrapAndNestedTask))});
    out_.insn(ZYDIS_MNEMONIC_PUSH, {reg(kScratch64)});
    out_.insn(ZYDIS_MNEMONIC_POPFQ, {});
}

bool BlockWriter::push_all(const Instruction& insn) {
    const uint16_t bytes = stack_bytes(insn);
    if (!bytes) return false;
    const bool wide = bytes == 4;
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), reg(kGuestEsp)});  // esp as it was
    const ZydisRegister order[8] = {
        wide ? ZYDIS_REGISTER_EAX : ZYDIS_REGISTER_AX, wide ? ZYDIS_REGISTER_ECX : ZYDIS_REGISTER_CX,
        wide ? ZYDIS_REGISTER_EDX : ZYDIS_REGISTER_DX, wide ? ZYDIS_REGISTER_EBX : ZYDIS_REGISTER_BX,
        scratch_of(bytes),                             wide ? ZYDIS_REGISTER_EBP : ZYDIS_REGISTER_BP,
        wide ? ZYDIS_REGISTER_ESI : ZYDIS_REGISTER_SI, wide ? ZYDIS_REGISTER_EDI : ZYDIS_REGISTER_DI};
    for (int i = 0; i < 8; ++i)
        out_.guest_insn(ZYDIS_MNEMONIC_MOV, {mem(kGuestEsp, -int64_t(bytes) * (i + 1), bytes), reg(order[i])});
    adjust_esp(-8 * int64_t(bytes));
    return true;
}

bool BlockWriter::pop_all(const Instruction& insn) {
    const uint16_t bytes = stack_bytes(insn);
    if (!bytes) return false;
    const bool wide = bytes == 4;
    // Touch both ends first: a fault then leaves every register as it was.
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(scratch_of(bytes)), mem(kGuestEsp, 7 * bytes, bytes)});
    const ZydisRegister order[8] = {
        wide ? ZYDIS_REGISTER_EDI : ZYDIS_REGISTER_DI, wide ? ZYDIS_REGISTER_ESI : ZYDIS_REGISTER_SI,
        wide ? ZYDIS_REGISTER_EBP : ZYDIS_REGISTER_BP, ZYDIS_REGISTER_NONE,
        wide ? ZYDIS_REGISTER_EBX : ZYDIS_REGISTER_BX, wide ? ZYDIS_REGISTER_EDX : ZYDIS_REGISTER_DX,
        wide ? ZYDIS_REGISTER_ECX : ZYDIS_REGISTER_CX, wide ? ZYDIS_REGISTER_EAX : ZYDIS_REGISTER_AX};
    for (int i = 0; i < 8; ++i)
        if (order[i] != ZYDIS_REGISTER_NONE)
            out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(order[i]), mem(kGuestEsp, int64_t(bytes) * i, bytes)});
    adjust_esp(8 * int64_t(bytes));
    return true;
}

bool BlockWriter::enter(const Instruction& insn) {
    if (insn.operands[1].imm.value.u != 0) return false;  // nested frames
    push(reg(ZYDIS_REGISTER_EBP));
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_EBP), reg(kGuestEsp)});
    adjust_esp(-int64_t(insn.operands[0].imm.value.u));
    return true;
}

void BlockWriter::leave() {
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), mem(ZYDIS_REGISTER_EBP, 0, 4)});
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kGuestEsp), mem(ZYDIS_REGISTER_EBP, 4, 4)});
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_EBP), reg(kScratch)});
}

}  // namespace vx::dbt
