// x87 state stores, which would give the guest host addresses: the
// pointers in them are cleared on the way.
#include "dbt/translate/block_writer.h"

namespace vx::dbt {

namespace {

// A guest memory operand `offset` bytes further on, `size` bytes wide (the
// address wraps at 4 GiB, as the CPU computes it).
ZydisEncoderOperand displaced(ZydisEncoderOperand m, uint32_t offset, uint16_t size) {
    const bool absolute = m.mem.base == ZYDIS_REGISTER_NONE && m.mem.index == ZYDIS_REGISTER_NONE;
    const uint32_t disp = uint32_t(m.mem.displacement) + offset;
    m.mem.displacement = absolute ? int64_t(disp) : int64_t(int32_t(disp));
    m.mem.size = size;
    return m;
}

// Where the x87 instruction and operand pointers lie in the 32-bit
// protected-mode environment (fnstenv, and fnsave's first 28 bytes) and in the
// FXSAVE layout (XSAVE's legacy region): under vx the CPU fills them with the
// low halves of host addresses and the host's code selector, so the guest
// gets 0s there instead, as from fxsave (see emulate_fxsave and
// docs/dbt-engine.md). Each entry: offset, and whether its upper half is
// kept (fnstenv keeps the opcode above the code selector).
struct PointerField { uint32_t offset; bool keep_upper_half; };
constexpr PointerField kEnvironmentPointers[] = {{12, false}, {16, true}, {20, false}, {24, true}};

}  // namespace

// fnstenv/fnsave (32-bit forms; the 16-bit ones are refused): the CPU
// stores into the runtime context, and the guest gets a copy with the
// pointers cleared, so no host address is ever in guest memory, even for an
// instant. Both ends of the destination are read and written back first, so
// that an inaccessible one faults before the instruction changed anything
// (fnstenv masks the exceptions, fnsave reinitializes the FPU).
bool BlockWriter::store_x87_state(const Instruction& insn) {
    if (insn.info.operand_width != 32 || insn.info.address_width != 32) return false;
    const bool save = insn.mnemonic() == ZYDIS_MNEMONIC_FNSAVE;
    const uint32_t size = save ? 108 : 28;
    const ZydisEncoderOperand destination = to_host(insn.operands[0], segments_);
    for (uint32_t offset : {0u, size - 1}) {
        ZydisEncoderRequest load = mov_request(reg(ZYDIS_REGISTER_R13B), displaced(destination, offset, 1));
        ZydisEncoderRequest store = mov_request(displaced(destination, offset, 1), reg(ZYDIS_REGISTER_R13B));
        if (!emit_guest_request(load) || !emit_guest_request(store)) return false;
    }
    ZydisEncoderOperand image = mem(kCtx, CTX_X87_IMAGE, uint16_t(size));
    if (!out_.encode([&] {
            ZydisEncoderRequest r{};
            r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
            r.mnemonic = insn.mnemonic();
            r.operand_count = 1;
            r.operands[0] = image;
            return r;
        }()))
        return false;
    for (uint32_t offset = 0; offset < size; offset += 4) {
        const PointerField* pointer = nullptr;
        for (const PointerField& field : kEnvironmentPointers)
            if (field.offset == offset) pointer = &field;
        ZydisEncoderRequest r;
        if (pointer && !pointer->keep_upper_half) {
            r = mov_request(displaced(destination, offset, 4), imm(0));
        } else {
            out_.insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), mem(kCtx, CTX_X87_IMAGE + offset, 4)});
            if (pointer) out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_R13W), imm(0)});  // leaves the flags alone
            r = mov_request(displaced(destination, offset, 4), reg(kScratch));
        }
        if (!emit_guest_request(r)) return false;
    }
    return true;
}

// xsave, xsaveopt, xsavec run as they are (their components and formats are
// the CPU's business), from an x87 state whose pointers were cleared first:
// fnstenv into the runtime context, the pointers there zeroed, fldenv back
// (which also undoes fnstenv's masking of the exceptions). The x87 state
// then reads as in use (XSTATE_BV bit 0 set) even when it was in its
// initial state.
bool BlockWriter::copy_xsave(const Instruction& insn, uint32_t eip) {
    if (insn.info.address_width != 32) return false;
    auto environment = [&](ZydisMnemonic m) {
        ZydisEncoderRequest r{};
        r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
        r.mnemonic = m;
        r.operand_count = 1;
        r.operands[0] = mem(kCtx, CTX_X87_IMAGE, 28);
        return out_.encode(r);
    };
    if (!environment(ZYDIS_MNEMONIC_FNSTENV)) return false;
    for (const PointerField& field : kEnvironmentPointers)
        out_.insn(ZYDIS_MNEMONIC_MOV, {mem(kCtx, CTX_X87_IMAGE + field.offset, field.keep_upper_half ? 2 : 4), imm(0)});
    if (!environment(ZYDIS_MNEMONIC_FLDENV)) return false;
    return copy(insn, eip);
}

}  // namespace vx::dbt
