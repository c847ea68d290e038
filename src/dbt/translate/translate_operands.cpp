// Ordinary instructions: re-encoded for 64-bit mode with their guest
// operands (esp renamed, fs/gs bases folded, every access through %gs with a
// 32-bit address), then checked; and the few whose operands need more
// (xlat's implicit address, a segment register read).
#include <algorithm>

#include "dbt/translate/block_writer.h"

namespace vx::dbt {

namespace {

constexpr uint8_t kAddressSizeOverride = 0x67;

constexpr ZydisInstructionAttributes kSegmentAttributes =
    ZYDIS_ATTRIB_HAS_SEGMENT_CS | ZYDIS_ATTRIB_HAS_SEGMENT_SS | ZYDIS_ATTRIB_HAS_SEGMENT_DS |
    ZYDIS_ATTRIB_HAS_SEGMENT_ES | ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS;

// The selector values the guest sees (its host chose them: Sandbox::set_selectors).
uint16_t visible_selector(ZydisRegister segment, const SegmentBases& bases) {
    switch (segment) {
    case ZYDIS_REGISTER_CS: return bases.flat.code;
    case ZYDIS_REGISTER_FS: return bases.fs_selector;
    case ZYDIS_REGISTER_GS: return bases.gs_selector;
    default: return bases.flat.data;
    }
}

}  // namespace

ZydisEncoderOperand to_host(const ZydisDecodedOperand& op, const SegmentBases& bases) {
    ZydisEncoderOperand e{};
    e.type = op.type;
    switch (op.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER:
        e.reg.value = rename(op.reg.value);
        break;
    case ZYDIS_OPERAND_TYPE_MEMORY: {
        e.mem.base = rename(op.mem.base);
        e.mem.index = rename(op.mem.index);
        e.mem.scale = op.mem.index == ZYDIS_REGISTER_NONE ? 0 : op.mem.scale;
        e.mem.size = uint16_t(op.size / 8);
        uint32_t disp = op.mem.disp.has_displacement ? uint32_t(op.mem.disp.value) : 0;
        if (is_memory(op)) disp += fold_segment_base(op.mem.segment, bases);
        // An absolute address is given unsigned, so the encoder keeps it below
        // 4 GiB (with a 32-bit address size where it must) instead of sign-extending.
        bool absolute = e.mem.base == ZYDIS_REGISTER_NONE && e.mem.index == ZYDIS_REGISTER_NONE;
        e.mem.displacement = absolute ? int64_t(disp) : int64_t(int32_t(disp));
        break;
    }
    case ZYDIS_OPERAND_TYPE_IMMEDIATE:
        e.imm.u = op.imm.value.u;
        break;
    default:
        break;
    }
    return e;
}

bool has_hidden_memory(const Instruction& insn) {
    for (size_t i = insn.operand_count(); i < insn.info.operand_count; ++i)
        if (is_memory(insn.operands[i])) return true;
    return false;
}

// The confinement check, independent of how the code was produced: every
// memory access of a translated guest instruction is %gs-relative with a
// 32-bit address, so it stays inside the guest's reservation.
bool is_confined(const uint8_t* code, size_t length) {
    static const ZydisDecoder decoder = [] {
        ZydisDecoder d;
        ZydisDecoderInit(&d, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        return d;
    }();
    ZydisDecodedInstruction info;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, code, length, &info, ops)) || info.length != length)
        return false;
    for (size_t i = 0; i < info.operand_count; ++i) {
        const ZydisDecodedOperand& op = ops[i];
        if (op.type == ZYDIS_OPERAND_TYPE_REGISTER &&
            (op.reg.value == ZYDIS_REGISTER_RSP || op.reg.value == ZYDIS_REGISTER_R15 ||
             op.reg.value == ZYDIS_REGISTER_RIP))
            return false;  // stack, context or control: never a guest instruction's business
        if (op.type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
        if (op.mem.base == ZYDIS_REGISTER_RIP || op.mem.base == ZYDIS_REGISTER_EIP) return false;
        if (op.mem.type == ZYDIS_MEMOP_TYPE_AGEN) {
            if (info.address_width != 32) return false;
            continue;
        }
        if (op.mem.segment != ZYDIS_REGISTER_GS) return false;
        if (info.address_width == 32) continue;
        // A 64-bit absolute [disp32] is sign-extended: confined only below 2 GiB.
        bool absolute = op.mem.base == ZYDIS_REGISTER_NONE && op.mem.index == ZYDIS_REGISTER_NONE;
        if (!absolute || op.mem.disp.value < 0 || op.mem.disp.value >= (int64_t(1) << 31)) return false;
    }
    return true;
}

ZydisEncoderRequest mov_request(const ZydisEncoderOperand& to, const ZydisEncoderOperand& from) {
    ZydisEncoderRequest r{};
    r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    r.mnemonic = ZYDIS_MNEMONIC_MOV;
    r.operand_count = 2;
    r.operands[0] = to;
    r.operands[1] = from;
    return r;
}

// Re-encodes an ordinary instruction for 64-bit mode, then checks the result.
bool BlockWriter::copy(const Instruction& insn, uint32_t eip) {
    if (has_hidden_memory(insn)) return false;
    ZydisEncoderRequest r;
    if (!ZYAN_SUCCESS(ZydisEncoderDecodedInstructionToEncoderRequest(
            &insn.info, insn.operands, insn.info.operand_count_visible, &r)))
        return false;
    r.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    r.prefixes &= ~kSegmentAttributes;
    for (size_t i = 0; i < insn.operand_count(); ++i) {
        const ZydisDecodedOperand& op = insn.operands[i];
        if (op.type == ZYDIS_OPERAND_TYPE_REGISTER) r.operands[i].reg.value = rename(op.reg.value);
        if (op.type == ZYDIS_OPERAND_TYPE_MEMORY) r.operands[i].mem = to_host(op, segments_).mem;
    }
    if (insn.info.operand_width == 32 && r.operand_size_hint == ZYDIS_OPERAND_SIZE_HINT_NONE)
        r.operand_size_hint = ZYDIS_OPERAND_SIZE_HINT_32;
    bool address_only = std::any_of(insn.operands, insn.operands + insn.operand_count(), [](const auto& op) {
        return op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.type == ZYDIS_MEMOP_TYPE_AGEN;
    });
    const uint32_t start = out_.size();
    ZydisEncoderRequest original = r;
    if (emit_guest_request(r, address_only)) return true;
    out_.truncate(start);
    return emit_with_esp_swapped(insn, original, eip, address_only);
}

bool BlockWriter::emit_with_esp_swapped(const Instruction& insn, ZydisEncoderRequest& r, uint32_t eip,
                                        bool address_only) {
    auto names = [&](ZydisRegister guest) {
        for (size_t i = 0; i < insn.info.operand_count; ++i) {
            const ZydisDecodedOperand& op = insn.operands[i];
            auto same = [&](ZydisRegister x) {
                return x != ZYDIS_REGISTER_NONE &&
                       ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LEGACY_32, x) == guest;
            };
            if (op.type == ZYDIS_OPERAND_TYPE_REGISTER && same(op.reg.value)) return true;
            if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && (same(op.mem.base) || same(op.mem.index))) return true;
        }
        return false;
    };
    bool uses_esp = false;
    for (size_t i = 0; i < r.operand_count; ++i)
        if (r.operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY &&
            (r.operands[i].mem.base == kGuestEsp || r.operands[i].mem.index == kGuestEsp))
            uses_esp = true;
    if (!uses_esp) return false;
    static constexpr ZydisRegister kPartners[] = {ZYDIS_REGISTER_EBP, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI,
                                                  ZYDIS_REGISTER_EBX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX,
                                                  ZYDIS_REGISTER_EAX};
    ZydisRegister partner = ZYDIS_REGISTER_NONE;
    for (ZydisRegister candidate : kPartners)
        if (!names(candidate)) {
            partner = candidate;
            break;
        }
    if (partner == ZYDIS_REGISTER_NONE) return false;
    for (size_t i = 0; i < r.operand_count; ++i) {
        if (r.operands[i].type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
        if (r.operands[i].mem.base == kGuestEsp) r.operands[i].mem.base = partner;
        if (r.operands[i].mem.index == kGuestEsp) r.operands[i].mem.index = partner;
    }
    const uint32_t start = out_.size();
    out_.insn(ZYDIS_MNEMONIC_XCHG, {reg(kGuestEsp), reg(partner)});  // xchg leaves the flags alone
    record(eip, esp_swapped_with(unsigned(partner - ZYDIS_REGISTER_EAX)));
    if (!emit_guest_request(r, address_only)) {
        out_.truncate(start);
        return false;
    }
    out_.insn(ZYDIS_MNEMONIC_XCHG, {reg(kGuestEsp), reg(partner)});
    record(eip);
    return true;
}

// Encodes an instruction whose memory operand addresses guest memory (already
// through to_host): gives it %gs (unless it only computes an address, as lea)
// and a 32-bit address size, then checks the result with is_confined.
bool BlockWriter::emit_guest_request(ZydisEncoderRequest& r, bool address_only) {
    bool has_memory = false;
    for (size_t i = 0; i < r.operand_count; ++i) {
        if (r.operands[i].type != ZYDIS_OPERAND_TYPE_MEMORY) continue;
        has_memory = true;
        auto& m = r.operands[i].mem;
        if (m.base == ZYDIS_REGISTER_NONE && m.index == ZYDIS_REGISTER_NONE &&
            m.displacement >= (int64_t(1) << 31)) {
            // The upper half of the 4 GiB: with a 32-bit address size the
            // sign-extended disp32 wraps to the same address. No register is
            // needed (a scratch base would clobber a value held in it, and
            // needs a REX prefix ah/bh/ch/dh cannot have); is_confined checks
            // the address size.
            m.displacement = int32_t(uint32_t(m.displacement));
        }
    }
    if (has_memory && !address_only) r.prefixes |= ZYDIS_ATTRIB_HAS_SEGMENT_GS;
    if (has_memory) r.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
    uint32_t start = out_.size();  // the confinement check reads the instruction alone
    if (!out_.encode(r)) return false;
    size_t length = out_.size() - start;
    if (is_confined(out_.written(start), length)) return true;
    // The encoder gives vector-indexed (VSIB) addresses no 32-bit address
    // size of their own: prefix one, then check again.
    if (length >= ZYDIS_MAX_INSTRUCTION_LENGTH) return false;
    out_.prefix(start, kAddressSizeOverride);
    return is_confined(out_.written(start), length + 1);
}

void BlockWriter::xlat() {  // al = [ebx + al]
    out_.insn(ZYDIS_MNEMONIC_MOVZX, {reg(kScratch), reg(ZYDIS_REGISTER_AL)});
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kScratch), mem(ZYDIS_REGISTER_EBX, 0, 4, kScratch, 1)});
    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_AL), mem(kScratch, 0, 1)});
}

bool BlockWriter::read_segment(const Instruction& insn) {
    uint16_t value = visible_selector(insn.operands[1].reg.value, segments_);
    const ZydisDecodedOperand& dst = insn.operands[0];
    if (dst.type == ZYDIS_OPERAND_TYPE_REGISTER) {  // a 16-bit destination keeps its upper half
        out_.insn(ZYDIS_MNEMONIC_MOV, {reg(rename(dst.reg.value)), imm(value)});
        return true;
    }
    ZydisEncoderOperand destination = to_host(dst, segments_);
    destination.mem.size = 2;
    ZydisEncoderRequest r = mov_request(destination, imm(value));
    return emit_guest_request(r);
}

}  // namespace vx::dbt

namespace vx::dbt {

// lea with a 16-bit address (a 67 prefix): bx, bp, si and di, and a 16-bit
// displacement, summed modulo 64 Ki. The low 16 bits of the sum of their
// 32-bit registers are those of the sum of their low halves, so the address
// is computed with the 32-bit ones and cut: zero-extended into a 32-bit
// destination, or the low half of a 16-bit one. No memory is touched, and
// no flag.
bool BlockWriter::lea16(const Instruction& insn) {
    const ZydisDecodedOperand& to = insn.operands[0];
    const ZydisDecodedOperand& from = insn.operands[1];
    if (to.type != ZYDIS_OPERAND_TYPE_REGISTER || from.type != ZYDIS_OPERAND_TYPE_MEMORY) return false;
    auto wide = [](ZydisRegister r) {
        return r == ZYDIS_REGISTER_NONE ? r : ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LEGACY_32, r);
    };
    const ZydisRegister base = wide(from.mem.base), index = wide(from.mem.index);
    for (ZydisRegister r : {base, index})
        if (r == ZYDIS_REGISTER_ESP) return false;  // (16-bit addressing cannot name sp)
    const int64_t disp = from.mem.disp.has_displacement ? int64_t(int16_t(from.mem.disp.value)) : 0;
    if (base == ZYDIS_REGISTER_NONE && index == ZYDIS_REGISTER_NONE) {
        out_.insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), imm(disp & 0xffff)});
    } else {
        const ZydisRegister first = base != ZYDIS_REGISTER_NONE ? base : index;
        const ZydisRegister second = base != ZYDIS_REGISTER_NONE ? index : ZYDIS_REGISTER_NONE;
        out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kScratch), mem(first, disp, 4, second, second ? 1 : 0)});
    }
    const ZydisRegister destination = rename(to.reg.value);
    if (ZydisRegisterGetWidth(ZYDIS_MACHINE_MODE_LONG_64, destination) == 16)
        out_.insn(ZYDIS_MNEMONIC_MOV, {reg(destination), reg(ZYDIS_REGISTER_R13W)});
    else
        out_.insn(ZYDIS_MNEMONIC_MOVZX, {reg(destination), reg(ZYDIS_REGISTER_R13W)});
    return true;
}

// salc (d6, which x86-64 code does not have): al = CF ? 0xff : 0, the flags
// as they were. setc, movzx, lea, not and mov set none: 1 - 1 is 0, whose
// complement is all ones; 0 - 1 is all ones, whose complement is 0.
void BlockWriter::salc() {
    out_.insn(ZYDIS_MNEMONIC_SETB, {reg(ZYDIS_REGISTER_R13B)});
    out_.insn(ZYDIS_MNEMONIC_MOVZX, {reg(kScratch), reg(ZYDIS_REGISTER_R13B)});
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kScratch), mem(kScratch, -1, 4)});
    out_.insn(ZYDIS_MNEMONIC_NOT, {reg(kScratch)});
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_AL), reg(ZYDIS_REGISTER_R13B)});
}

}  // namespace vx::dbt
