// x87 and vector state: stores of the x87 state, which would give the guest
// host addresses (the pointers in them are cleared on the way), and the gate
// that loads the guest's extended state before a block first touches it.
#include "dbt/translate/block_writer.h"

#include <cstdio>
#include <cstdlib>

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

bool is_integer_register(ZydisRegister r) {
    switch (ZydisRegisterGetClass(r)) {
    case ZYDIS_REGCLASS_GPR8: case ZYDIS_REGCLASS_GPR16: case ZYDIS_REGCLASS_GPR32: case ZYDIS_REGCLASS_GPR64:
    case ZYDIS_REGCLASS_FLAGS: case ZYDIS_REGCLASS_IP: case ZYDIS_REGCLASS_SEGMENT:
        return true;
    default:  // x87, MMX, vector and mask registers, and the unclassed: MXCSR, the x87 control/status/tag, XCR0
        return false;
    }
}

// The instruction sets whose instructions touch no extended state unless an
// operand names it: Zydis lists fcomi (PPRO) with its x87 operands, but
// fwait (X87), emms (PENTIUMMMX) and fxsave (FXSAVE) with none, so both the
// set and every operand must be integer. What is not listed loads the state.
bool is_integer_isa_set(const Instruction& insn) {
    switch (insn.info.meta.isa_set) {
    case ZYDIS_ISA_SET_I86: case ZYDIS_ISA_SET_I186: case ZYDIS_ISA_SET_I386: case ZYDIS_ISA_SET_I486REAL:
    case ZYDIS_ISA_SET_PENTIUMREAL: case ZYDIS_ISA_SET_PPRO: case ZYDIS_ISA_SET_CMOV: case ZYDIS_ISA_SET_LAHF:
    case ZYDIS_ISA_SET_FAT_NOP: case ZYDIS_ISA_SET_PAUSE: case ZYDIS_ISA_SET_POPCNT: case ZYDIS_ISA_SET_LZCNT:
    case ZYDIS_ISA_SET_BMI1: case ZYDIS_ISA_SET_BMI2: case ZYDIS_ISA_SET_ADOX_ADCX: case ZYDIS_ISA_SET_MOVBE:
    case ZYDIS_ISA_SET_RDRAND: case ZYDIS_ISA_SET_RDSEED: case ZYDIS_ISA_SET_CLFSH:
    case ZYDIS_ISA_SET_CLFLUSHOPT: case ZYDIS_ISA_SET_CLWB: case ZYDIS_ISA_SET_PREFETCH_NOP:
    case ZYDIS_ISA_SET_SSE_PREFETCH:  // prefetchnta/t0/t1/t2: a hint, a memory operand only
    case ZYDIS_ISA_SET_CET:           // endbr32 (the policy refuses the rest)
        return true;
    default:
        // Integer instructions of the SSE sets, named one by one: fences, a
        // non-temporal store of a GPR, crc32.
        switch (insn.mnemonic()) {
        case ZYDIS_MNEMONIC_LFENCE: case ZYDIS_MNEMONIC_MFENCE: case ZYDIS_MNEMONIC_SFENCE:
        case ZYDIS_MNEMONIC_MOVNTI: case ZYDIS_MNEMONIC_CRC32:
            return true;
        default:
            return false;
        }
    }
}

}  // namespace

bool needs_extended_state(const Instruction& insn) {
    if (!is_integer_isa_set(insn)) return true;
    auto integer_or_none = [](ZydisRegister r) { return r == ZYDIS_REGISTER_NONE || is_integer_register(r); };
    for (size_t i = 0; i < insn.info.operand_count; ++i) {  // hidden operands too
        const ZydisDecodedOperand& op = insn.operands[i];
        switch (op.type) {
        case ZYDIS_OPERAND_TYPE_REGISTER:
            if (!is_integer_register(op.reg.value)) return true;
            break;
        case ZYDIS_OPERAND_TYPE_MEMORY:
            if (!integer_or_none(op.mem.base) || !integer_or_none(op.mem.index) || !integer_or_none(op.mem.segment))
                return true;
            break;
        case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        case ZYDIS_OPERAND_TYPE_POINTER:
            break;
        default:
            return true;
        }
    }
    return false;
}

// The block's first bytes: a 4-byte nop, which load_extended_state turns
// into the gate's call.
void BlockWriter::gate_slot() {
    out_.raw(kGateSlotNop, kGateSlotBytes);
}

// `call *CTX_XSTATE_GATE(%r15)` at the block's start: the loader the first
// time in a run, a lone `ret` after that. It changes no guest register or
// flag and cannot fault; the call's return address goes on the host stack
// (rsp), as the exit stub's pushfq does. It comes before the block's first
// instruction (a stop that lands in the gate unchains the block, see
// DbtEngine::stop_soon), and a block that loaded the state enters the blocks
// it chains to past theirs (chained_entry): a loop runs it once.
void BlockWriter::load_extended_state() {
    if (block_.loads_extended_state) return;
    ZydisEncoderRequest r{};
    r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    r.mnemonic = ZYDIS_MNEMONIC_CALL;
    r.operand_count = 1;
    r.operands[0] = mem(kCtx, CTX_XSTATE_GATE, 8);
    uint8_t call[ZYDIS_MAX_INSTRUCTION_LENGTH];
    if (x86::encode(r, call, sizeof call) != kGateSlotBytes) {
        std::fprintf(stderr, "vx: internal error: the gate's call is not %u bytes\n", kGateSlotBytes);
        std::abort();
    }
    out_.overwrite(0, call, kGateSlotBytes);
    block_.loads_extended_state = true;
}

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
