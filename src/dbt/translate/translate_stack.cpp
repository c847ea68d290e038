// Stack instructions, on the guest's esp (r12d): each store happens before
// esp moves, so that a fault leaves esp as it was, as the CPU does.
#include "dbt/translate/block_writer.h"

namespace vx::dbt {

namespace {

constexpr uint32_t kTrapAndNestedTask = (1u << 8) | (1u << 14);

}  // namespace

void BlockWriter::push(ZydisEncoderOperand value) {  // faults before esp moves, as the CPU does
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {mem(kGuestEsp, -4, 4), value});
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kGuestEsp), mem(kGuestEsp, -4, 4)});
}

void BlockWriter::adjust_esp(int64_t delta) {
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kGuestEsp), mem(kGuestEsp, delta, 4)});
}

bool BlockWriter::push_operand(const Instruction& insn) {
    const ZydisDecodedOperand& op = insn.operands[0];
    if (insn.info.operand_width != 32) return false;
    switch (op.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        push(reg(rename(op.reg.value)));
        return true;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        push(imm(int32_t(op.imm.value.u)));
        return true;
    case ZYDIS_OPERAND_TYPE_MEMORY: {
        ZydisEncoderRequest r = mov_request(reg(kScratch), to_host(op, segments_));
        if (!emit_guest_request(r)) return false;
        push(reg(kScratch));
        return true;
    }
    default:
        return false;
    }
}

bool BlockWriter::pop_operand(const Instruction& insn) {
    const ZydisDecodedOperand& op = insn.operands[0];
    if (insn.info.operand_width != 32) return false;
    if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) {
        // pop m32: the destination's address is computed with esp already
        // past the value; esp moves only once the store is done, so a fault
        // leaves it unchanged, as the CPU does.
        ZydisDecodedOperand destination = op;
        if (destination.mem.base == ZYDIS_REGISTER_ESP) {
            destination.mem.disp.has_displacement = true;
            destination.mem.disp.value = int64_t(int32_t(uint32_t(destination.mem.disp.value) + 4));
        }
        out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), mem(kGuestEsp, 0, 4)});
        ZydisEncoderRequest r = mov_request(to_host(destination, segments_), reg(kScratch));
        if (!emit_guest_request(r)) return false;
        adjust_esp(4);
        return true;
    }
    if (op.type != ZYDIS_OPERAND_TYPE_REGISTER) return false;
    ZydisRegister dst = rename(op.reg.value);
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(dst), mem(kGuestEsp, 0, 4)});
    if (dst != kGuestEsp) adjust_esp(4);  // pop esp: esp is the value read
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
    if (insn.info.operand_width != 32) return false;
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), reg(kGuestEsp)});
    const ZydisRegister order[8] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX,
                                    ZYDIS_REGISTER_EBX, kScratch, ZYDIS_REGISTER_EBP,
                                    ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
    for (int i = 0; i < 8; ++i)
        out_.guest_insn(ZYDIS_MNEMONIC_MOV, {mem(kGuestEsp, -4 * (i + 1), 4), reg(order[i])});
    adjust_esp(-32);
    return true;
}

bool BlockWriter::pop_all(const Instruction& insn) {
    if (insn.info.operand_width != 32) return false;
    // Touch both ends first: a fault then leaves every register as it was.
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), mem(kGuestEsp, 28, 4)});
    const ZydisRegister order[8] = {ZYDIS_REGISTER_EDI, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EBP,
                                    ZYDIS_REGISTER_NONE, ZYDIS_REGISTER_EBX, ZYDIS_REGISTER_EDX,
                                    ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EAX};
    for (int i = 0; i < 8; ++i)
        if (order[i] != ZYDIS_REGISTER_NONE)
            out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(order[i]), mem(kGuestEsp, 4 * i, 4)});
    adjust_esp(32);
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
