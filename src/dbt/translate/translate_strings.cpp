// String instructions inline, on the host addresses of the guest's esi/edi.
// Those the host carries out instead: runtime/string_ops.cpp.
#include "dbt/translate/block_writer.h"

namespace vx::dbt {

// String instructions run as native 64-bit string instructions on the host
// addresses of the guest's esi/edi (base + the 32-bit value), so they keep
// their own semantics: direction flag, flags of cmps/scas, rep/repe/repne.
// Without rep an instruction touches at most 4 bytes at each address, which
// lie inside the reservation (4 GiB + guard) whatever esi/edi hold. With rep
// the whole range must lie within the first 4 GiB, in the direction DF
// says: the fast path checks that; a range that would wrap exits to the
// host's emulation. The host addresses become guest ones again without touching the
// flags: lea of (host - base), the negated base made with not. Returns false
// for what it does not handle (another address size, a segment override).
bool BlockWriter::inline_string(const Instruction& insn, uint32_t eip) {
    const ZydisMnemonic m = insn.mnemonic();
    struct Form { ZydisMnemonic byte, word, dword; uint8_t opcode; bool uses_esi, uses_edi; };
    static constexpr Form kForms[] = {
        {ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSD, 0xa4, true, true},
        {ZYDIS_MNEMONIC_CMPSB, ZYDIS_MNEMONIC_CMPSW, ZYDIS_MNEMONIC_CMPSD, 0xa6, true, true},
        {ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD, 0xaa, false, true},
        {ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW, ZYDIS_MNEMONIC_LODSD, 0xac, true, false},
        {ZYDIS_MNEMONIC_SCASB, ZYDIS_MNEMONIC_SCASW, ZYDIS_MNEMONIC_SCASD, 0xae, false, true},
    };
    const Form* form = nullptr;
    for (const Form& f : kForms)
        if (m == f.byte || m == f.word || m == f.dword) form = &f;
    if (!form || insn.info.address_width != 32 || segment_override(insn) != ZYDIS_REGISTER_NONE) return false;
    const uint8_t element = uint8_t(insn.info.operand_width / 8);
    const bool uses_esi = form->uses_esi, uses_edi = form->uses_edi;
    const uint64_t attributes = insn.info.attributes;
    const uint8_t rep_prefix = (attributes & ZYDIS_ATTRIB_HAS_REPNE) ? 0xf2
                             : (attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE)) ? 0xf3 : 0;
    const ZydisRegister rcx = ZYDIS_REGISTER_RCX, rsi = ZYDIS_REGISTER_RSI, rdi = ZYDIS_REGISTER_RDI;
    const ZydisRegister r11 = ZYDIS_REGISTER_R11;

    // Only the low halves are the guest's registers; the checks and the
    // 64-bit addresses below rely on the upper ones being zero.
    if (uses_esi) out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_ESI), reg(ZYDIS_REGISTER_ESI)});
    if (uses_edi) out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_EDI), reg(ZYDIS_REGISTER_EDI)});
    if (rep_prefix) out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_ECX), reg(ZYDIS_REGISTER_ECX)});
    const Label slow_path = out_.new_label();
    if (rep_prefix) {
        out_.insn(ZYDIS_MNEMONIC_PUSHFQ, {});
        out_.insn(ZYDIS_MNEMONIC_POP, {reg(kScratch64)});  // the guest's flags, while the checks run
        record(eip, kFlagsInR13);
        const Label backwards = out_.new_label(), checked = out_.new_label();
        out_.insn(ZYDIS_MNEMONIC_BT, {reg(kScratch), imm(10)});  // DF
        out_.jump_if(ZYDIS_MNEMONIC_JB, backwards);
        // Forwards: pointer + count*size, the end of the range, <= 4 GiB.
        auto ends_below_4g = [&](ZydisRegister pointer) {
            out_.insn(ZYDIS_MNEMONIC_LEA, {reg(r11), mem(pointer, 0, 8, rcx, element)});
            out_.insn(ZYDIS_MNEMONIC_SHR, {reg(r11), imm(32)});
            out_.jump_if(ZYDIS_MNEMONIC_JNZ, slow_path);
        };
        if (uses_edi) ends_below_4g(rdi);
        if (uses_esi) ends_below_4g(rsi);
        out_.jump(checked);
        // Backwards (memmove's overlapping case): pointer + size - count*size,
        // the start of the range, >= 0.
        out_.bind(backwards);
        auto starts_above_0 = [&](ZydisRegister pointer) {
            out_.insn(ZYDIS_MNEMONIC_LEA, {reg(r11), mem(ZYDIS_REGISTER_NONE, 0, 8, rcx, element)});
            out_.insn(ZYDIS_MNEMONIC_NEG, {reg(r11)});
            out_.insn(ZYDIS_MNEMONIC_LEA, {reg(r11), mem(pointer, element, 8, r11, 1)});
            out_.insn(ZYDIS_MNEMONIC_SHR, {reg(r11), imm(63)});
            out_.jump_if(ZYDIS_MNEMONIC_JNZ, slow_path);  // it went below 0
        };
        if (uses_edi) starts_above_0(rdi);
        if (uses_esi) starts_above_0(rsi);
        out_.bind(checked);
        out_.insn(ZYDIS_MNEMONIC_PUSH, {reg(kScratch64)});
        out_.insn(ZYDIS_MNEMONIC_POPFQ, {});  // repe/repne compare from them; cmps/scas set them
        record(eip);
    }
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(r11), mem(kCtx, CTX_GUEST_BASE, 8)});
    if (uses_edi) out_.insn(ZYDIS_MNEMONIC_LEA, {reg(rdi), mem(rdi, 0, 8, r11, 1)});
    if (uses_esi) out_.insn(ZYDIS_MNEMONIC_LEA, {reg(rsi), mem(rsi, 0, 8, r11, 1)});
    const uint8_t host_pointers = uint8_t((uses_edi ? kHostEdi : 0) | (uses_esi ? kHostEsi : 0));
    record(eip, uint8_t(host_pointers | (rep_prefix ? kInterruptible : 0)));
    out_.string_op(form->opcode, element, rep_prefix);  // 64-bit addresses
    out_.insn(ZYDIS_MNEMONIC_NOT, {reg(r11)});  // -base - 1
    if (uses_edi) out_.insn(ZYDIS_MNEMONIC_LEA, {reg(ZYDIS_REGISTER_EDI), mem(rdi, 1, 8, r11, 1)});
    if (uses_esi) out_.insn(ZYDIS_MNEMONIC_LEA, {reg(ZYDIS_REGISTER_ESI), mem(rsi, 1, 8, r11, 1)});
    record(eip);
    if (!rep_prefix) return true;

    const Label done = out_.new_label();
    out_.jump(done);
    out_.bind(slow_path);
    out_.insn(ZYDIS_MNEMONIC_PUSH, {reg(kScratch64)});
    out_.insn(ZYDIS_MNEMONIC_POPFQ, {});
    record(eip);
    // The slow path leaves the block; the fast path goes on after this.
    exit_with(EXIT_EMULATE, eip);
    out_.bind(done);
    record(eip);
    return true;
}

}  // namespace vx::dbt
