#include "dbt/translator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "dbt/emitter.h"
#include "dbt/runtime_layout.h"
#include "x86/policy.h"

#include <vector>

namespace vx::dbt {

using x86::Action;
using x86::Instruction;

const InsnRecord* Block::record_for(uint64_t pc) const {
    if (pc < host_entry || pc >= host_body_end || insns.empty()) return nullptr;
    uint64_t offset = pc - host_entry;
    auto it = std::upper_bound(insns.begin(), insns.end(), offset,
                               [](uint64_t o, const InsnRecord& r) { return o < r.host_offset; });
    return it == insns.begin() ? nullptr : &*(it - 1);
}

namespace {

constexpr uint32_t kTrapAndNestedTask = (1u << 8) | (1u << 14);

// Registers of the translated code that the guest can never name.
constexpr ZydisRegister kGuestEsp = ZYDIS_REGISTER_R12D;
constexpr ZydisRegister kCtx = ZYDIS_REGISTER_R15;
constexpr ZydisRegister kTarget = ZYDIS_REGISTER_R10D;  // indirect branch target
constexpr ZydisRegister kScratch = ZYDIS_REGISTER_R13D;
constexpr ZydisRegister kScratch64 = ZYDIS_REGISTER_R13;
constexpr ZydisRegister kMissPath = ZYDIS_REGISTER_R14;  // RuntimeLinks::miss_path

constexpr uint8_t kAddressSizeOverride = 0x67;

constexpr ZydisInstructionAttributes kSegmentAttributes =
    ZYDIS_ATTRIB_HAS_SEGMENT_CS | ZYDIS_ATTRIB_HAS_SEGMENT_SS | ZYDIS_ATTRIB_HAS_SEGMENT_DS |
    ZYDIS_ATTRIB_HAS_SEGMENT_ES | ZYDIS_ATTRIB_HAS_SEGMENT_FS | ZYDIS_ATTRIB_HAS_SEGMENT_GS;

ZydisRegister rename(ZydisRegister r) {
    if (r == ZYDIS_REGISTER_ESP) return kGuestEsp;
    if (r == ZYDIS_REGISTER_SP) return ZYDIS_REGISTER_R12W;
    return r;
}

bool is_memory(const ZydisDecodedOperand& op) {
    return op.type == ZYDIS_OPERAND_TYPE_MEMORY &&
           (op.mem.type == ZYDIS_MEMOP_TYPE_MEM || op.mem.type == ZYDIS_MEMOP_TYPE_VSIB);
}

// A decoded guest operand as an x86-64 operand: esp renamed, a guest fs/gs
// base folded into the displacement (32-bit wrap, as the CPU computes it).
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

class BlockWriter {
public:
    BlockWriter(const GuestMemory& memory, CodeCache& cache, const RuntimeLinks& links,
                const SegmentBases& segments, const Translator::EntryFinder& find, bool count_fuel)
        : memory_(memory), cache_(cache), links_(links), segments_(segments), find_(find),
          count_fuel_(count_fuel), out_(cache.writable(cache.cursor()), cache.cursor()) {}

    Block write(uint32_t eip, int max_insns);

private:
    struct PendingExit {
        uint64_t site;    // address of a rel32 field
        uint32_t target;  // guest address it should reach
        Label stub;       // where its stub will be
    };
    // What an exit from inside the block gives back of the fuel its start took.
    enum class Refund { None, Incomplete, Completed };  // the current instruction ran: Completed
    struct PendingRefund {
        uint64_t site;    // address of the disp32 of a `lea r9, [r9 + disp32]`
        int32_t ran;      // instructions of the block that ran
    };

    size_t fetchable_bytes(uint32_t eip) const;
    bool translate_one(uint32_t& pc);
    enum class Outcome { Continue, End, Refused };
    Outcome translate_action(const Instruction& insn, x86::Decision decision, uint32_t eip, uint32_t next);
    void record(uint32_t eip, uint8_t fixup = kNoFixup) {
        block_.insns.push_back({uint32_t(out_.here() - block_.host_entry), eip, fixup, index_});
    }
    bool inline_string(const Instruction& insn, uint32_t eip);
    bool store_x87_state(const Instruction& insn);
    bool copy_xsave(const Instruction& insn, uint32_t eip);
    void fuel_check();
    uint64_t add_to_fuel() { return out_.add_later(ZYDIS_REGISTER_R9); }  // the disp32's address, to set
    void exit_with(uint32_t code, uint32_t exit_eip, Refund refund = Refund::Incomplete) {
        if (count_fuel_ && refund != Refund::None)
            refunds_.push_back({add_to_fuel(), index_ + (refund == Refund::Completed ? 1 : 0)});
        out_.insn(ZYDIS_MNEMONIC_MOV, {mem(kCtx, CTX_EXIT_EIP, 4), imm(int32_t(exit_eip))});
        out_.insn(ZYDIS_MNEMONIC_MOV, {mem(kCtx, CTX_EXIT_CODE, 4), imm(int32_t(code))});
        out_.jump(links_.exit_stub);
    }
    void fault(uint32_t eip, FaultKind kind) {
        record(eip);
        exit_with(EXIT_FAULT_BASE + uint32_t(kind), eip);
    }
    void jump_to_guest(uint32_t target) {
        const Label stub = out_.new_label();
        pending_.push_back({out_.jump(stub), target, stub});
    }
    void jump_to_guest_if(ZydisMnemonic jcc, uint32_t target) {
        const Label stub = out_.new_label();
        pending_.push_back({out_.jump_if(jcc, stub), target, stub});
    }
    void push(ZydisEncoderOperand value) {  // faults before esp moves, as the CPU does
        out_.guest_insn(ZYDIS_MNEMONIC_MOV, {mem(kGuestEsp, -4, 4), value});
        out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kGuestEsp), mem(kGuestEsp, -4, 4)});
    }
    void jump_indirect();
    void adjust_esp(int64_t delta) { out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kGuestEsp), mem(kGuestEsp, delta, 4)}); }
    bool load_target(const Instruction& insn) {
        ZydisEncoderRequest r = mov_request(reg(kTarget), to_host(insn.operands[0], segments_));
        return emit_guest_request(r);
    }
    bool emit_guest_request(ZydisEncoderRequest& r, bool address_only = false);
    bool copy(const Instruction& insn, uint32_t eip);
    // Encodes `r` with esp exchanged for a guest register `insn` does not use
    // (see kEspSwapped); false when it still cannot be encoded.
    bool emit_with_esp_swapped(const Instruction& insn, ZydisEncoderRequest& r, uint32_t eip, bool address_only);
    bool push_operand(const Instruction& insn);
    bool pop_operand(const Instruction& insn);
    bool read_segment(const Instruction& insn);
    void finish_exits();

    const GuestMemory& memory_;
    CodeCache& cache_;
    const RuntimeLinks& links_;
    const SegmentBases& segments_;
    const Translator::EntryFinder& find_;
    const bool count_fuel_;
    Emitter out_;
    Block block_;
    uint8_t index_ = 0;  // of the instruction being translated
    uint64_t fuel_taken_site_ = 0;
    std::vector<PendingExit> pending_;
    std::vector<PendingRefund> refunds_;
};

size_t BlockWriter::fetchable_bytes(uint32_t eip) const {
    size_t n = 0;
    while (n < ZYDIS_MAX_INSTRUCTION_LENGTH && uint64_t(eip) + n < memory_.size() &&
           (memory_.perms_at(uint32_t(eip + n)) & kExec))
        ++n;
    return n;
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

// Goes to the translation of the guest address in r10d. The lookup sits at
// every indirect branch rather than in one shared stub, so that each branch
// gets its own slot in the CPU's branch predictor. It compares with lea and
// jrcxz, leaving the guest's flags alone; rcx is borrowed through r11.
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
    out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kScratch64), mem(kScratch64, 0, 8, kMissPath, 1)});
    out_.insn(ZYDIS_MNEMONIC_MOV, {reg(rcx), reg(r11)});
    out_.insn(ZYDIS_MNEMONIC_JMP, {reg(kScratch64)});
}

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

// The selector values a Linux i386 program sees.
uint16_t visible_selector(ZydisRegister segment, const SegmentBases& bases) {
    switch (segment) {
    case ZYDIS_REGISTER_CS: return 0x23;
    case ZYDIS_REGISTER_FS: return bases.fs_selector;
    case ZYDIS_REGISTER_GS: return bases.gs_selector;
    default: return 0x2b;
    }
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

bool BlockWriter::translate_one(uint32_t& pc) {
    const uint32_t eip = pc;
    size_t available = fetchable_bytes(eip);
    if (available == 0) {
        fault(eip, FaultKind::PageFault);
        return false;
    }
    Instruction insn;
    switch (x86::decode(memory_.host_base() + eip, available, insn)) {
    case x86::DecodeStatus::Ok: break;
    case x86::DecodeStatus::Invalid: fault(eip, FaultKind::InvalidInstruction); return false;
    case x86::DecodeStatus::TooLong: fault(eip, FaultKind::GeneralProtection); return false;
    case x86::DecodeStatus::Truncated: fault(eip, FaultKind::PageFault); return false;
    }
    pc = eip + insn.length();
    uint32_t mark = out_.size();
    record(eip);
    switch (translate_action(insn, x86::classify(insn), eip, pc)) {
    case Outcome::Continue: return true;
    case Outcome::End: return false;
    case Outcome::Refused: break;
    }
    // No safe translation: whatever was written goes, and the guest faults here.
    out_.truncate(mark);
    block_.insns.pop_back();
    fault(eip, FaultKind::InvalidInstruction);
    return false;
}

// Emits the translation of one instruction (its record already made).
BlockWriter::Outcome BlockWriter::translate_action(const Instruction& insn, x86::Decision decision,
                                                   uint32_t eip, uint32_t next) {
    auto branch_target = [&] { return uint32_t(next + uint32_t(insn.operands[0].imm.value.s)); };
    auto written = [](bool ok) { return ok ? Outcome::Continue : Outcome::Refused; };
    constexpr Outcome kContinue = Outcome::Continue, kEnd = Outcome::End;
    switch (decision.action) {
    case Action::Copy:
    case Action::StripSegment:
        switch (insn.mnemonic()) {
        case ZYDIS_MNEMONIC_PUSH: return written(push_operand(insn));
        case ZYDIS_MNEMONIC_POP: return written(pop_operand(insn));
        case ZYDIS_MNEMONIC_PUSHFD:
            out_.insn(ZYDIS_MNEMONIC_PUSHFQ, {});
            out_.insn(ZYDIS_MNEMONIC_POP, {reg(kScratch64)});
            push(reg(kScratch));
            return kContinue;
        case ZYDIS_MNEMONIC_XLAT:  // al = [ebx + al]
            out_.insn(ZYDIS_MNEMONIC_MOVZX, {reg(kScratch), reg(ZYDIS_REGISTER_AL)});
            out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kScratch), mem(ZYDIS_REGISTER_EBX, 0, 4, kScratch, 1)});
            out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_AL), mem(kScratch, 0, 1)});
            return kContinue;
        case ZYDIS_MNEMONIC_PUSHAD: {
            if (insn.info.operand_width != 32) return Outcome::Refused;
            out_.insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), reg(kGuestEsp)});
            const ZydisRegister order[8] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX,
                                            ZYDIS_REGISTER_EBX, kScratch, ZYDIS_REGISTER_EBP,
                                            ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
            for (int i = 0; i < 8; ++i)
                out_.guest_insn(ZYDIS_MNEMONIC_MOV, {mem(kGuestEsp, -4 * (i + 1), 4), reg(order[i])});
            adjust_esp(-32);
            return kContinue;
        }
        case ZYDIS_MNEMONIC_POPAD: {
            if (insn.info.operand_width != 32) return Outcome::Refused;
            // Touch both ends first: a fault then leaves every register as it was.
            out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), mem(kGuestEsp, 28, 4)});
            const ZydisRegister order[8] = {ZYDIS_REGISTER_EDI, ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EBP,
                                            ZYDIS_REGISTER_NONE, ZYDIS_REGISTER_EBX, ZYDIS_REGISTER_EDX,
                                            ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EAX};
            for (int i = 0; i < 8; ++i)
                if (order[i] != ZYDIS_REGISTER_NONE)
                    out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(order[i]), mem(kGuestEsp, 4 * i, 4)});
            adjust_esp(32);
            return kContinue;
        }
        case ZYDIS_MNEMONIC_ENTER:
            if (insn.operands[1].imm.value.u != 0) return Outcome::Refused;  // nested frames
            push(reg(ZYDIS_REGISTER_EBP));
            out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_EBP), reg(kGuestEsp)});
            adjust_esp(-int64_t(insn.operands[0].imm.value.u));
            return kContinue;
        case ZYDIS_MNEMONIC_LEAVE:
            out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), mem(ZYDIS_REGISTER_EBP, 0, 4)});
            out_.insn(ZYDIS_MNEMONIC_LEA, {reg(kGuestEsp), mem(ZYDIS_REGISTER_EBP, 4, 4)});
            out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_EBP), reg(kScratch)});
            return kContinue;
        default:
            break;
        }
        if (insn.mnemonic() == ZYDIS_MNEMONIC_FNSTENV || insn.mnemonic() == ZYDIS_MNEMONIC_FNSAVE)
            return written(store_x87_state(insn));
        if (insn.mnemonic() == ZYDIS_MNEMONIC_XSAVE || insn.mnemonic() == ZYDIS_MNEMONIC_XSAVEOPT ||
            insn.mnemonic() == ZYDIS_MNEMONIC_XSAVEC)
            return written(copy_xsave(insn, eip));
        if (insn.mnemonic() == ZYDIS_MNEMONIC_FXSAVE && insn.info.address_width == 32) {  // see emulate_fxsave
            exit_with(EXIT_EMULATE, eip);
            return kEnd;
        }
        if (insn.info.meta.category == ZYDIS_CATEGORY_STRINGOP) {
            if (inline_string(insn, eip)) return kContinue;
            exit_with(EXIT_EMULATE, eip);
            return kEnd;
        }
        return written(copy(insn, eip));
    case Action::ReadSegment:
        return written(read_segment(insn));
    case Action::LoadSegment:
        exit_with(EXIT_SEGMENT_LOAD, eip);
        return kEnd;
    case Action::Popf:
        out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kScratch), mem(kGuestEsp, 0, 4)});
        adjust_esp(4);
        out_.insn(ZYDIS_MNEMONIC_AND, {reg(kScratch), imm(int32_t(~kTrapAndNestedTask))});
        out_.insn(ZYDIS_MNEMONIC_PUSH, {reg(kScratch64)});
        out_.insn(ZYDIS_MNEMONIC_POPFQ, {});
        return kContinue;
    case Action::Jump:
        jump_to_guest(branch_target());
        return kEnd;
    case Action::JumpCond:
        jump_to_guest_if(insn.mnemonic(), branch_target());
        jump_to_guest(next);
        return kEnd;
    case Action::LoopCond: {
        const Label taken = out_.new_label();
        out_.loop_ecx(insn.mnemonic(), taken);
        jump_to_guest(next);
        out_.bind(taken);
        jump_to_guest(branch_target());
        return kEnd;
    }
    case Action::Call:
        push(imm(int32_t(next)));
        jump_to_guest(branch_target());
        return kEnd;
    case Action::Return: {
        out_.guest_insn(ZYDIS_MNEMONIC_MOV, {reg(kTarget), mem(kGuestEsp, 0, 4)});
        uint32_t extra = insn.operand_count() ? uint32_t(insn.operands[0].imm.value.u) : 0;
        adjust_esp(4 + int64_t(extra));
        jump_indirect();
        return kEnd;
    }
    case Action::JumpIndirect:
    case Action::CallIndirect:
        if (!load_target(insn)) return Outcome::Refused;
        if (decision.action == Action::CallIndirect) push(imm(int32_t(next)));
        jump_indirect();
        return kEnd;
    case Action::Syscall:
        exit_with(EXIT_SYSCALL, next, Refund::Completed);
        return kEnd;
    case Action::Breakpoint:
        exit_with(EXIT_BREAKPOINT, eip);
        return kEnd;
    case Action::Fault:
        exit_with(EXIT_FAULT_BASE + uint32_t(decision.fault), eip);
        return kEnd;
    }
    return kEnd;
}

void BlockWriter::finish_exits() {
    for (const PendingExit& exit : pending_) {
        // The stub asks the host to translate the target and patch the rel32.
        const uint64_t stub = out_.here();
        out_.bind(exit.stub);
        exit_with(EXIT_CODE_LIMIT + uint32_t(exit.site - cache_.exec_base()), exit.target, Refund::None);
        block_.exits.push_back({uint32_t(exit.site - block_.host_entry), uint32_t(stub - block_.host_entry)});
        // Chained at once to a block already translated.
        const uint64_t target = exit.target == block_.guest_eip ? block_.host_entry : find_(exit.target);
        if (target) out_.retarget(exit.site, target);
    }
}

// With fuel: the block's instructions are taken from r9, then a load at r9
// in the fuel window, which faults below it (a guard page) when r9 went
// negative, and anywhere once the host closed it to stop the guest. Neither
// touches the guest's flags. Without fuel, blocks start with their first
// instruction (a stop request unchains the running one instead).
void BlockWriter::fuel_check() {
    if (count_fuel_) {
        fuel_taken_site_ = add_to_fuel();
        out_.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_R11B), mem(ZYDIS_REGISTER_R9, 0, 1)});
    }
    block_.prologue_end = uint32_t(out_.here() - block_.host_entry);
}

Block BlockWriter::write(uint32_t eip, int max_insns) {
    block_.guest_eip = eip;
    block_.host_entry = out_.here();
    fuel_check();
    uint32_t pc = eip;
    bool open = true;
    for (; open && index_ < max_insns; ++index_) open = translate_one(pc);
    if (open) jump_to_guest(pc);
    block_.guest_end = pc;
    block_.host_body_end = out_.here();
    block_.insn_count = index_;
    finish_exits();
    if (count_fuel_) {
        out_.set_int32(fuel_taken_site_, -int32_t(index_));
        for (const PendingRefund& r : refunds_) out_.set_int32(r.site, int32_t(index_) - r.ran);
    }
    if (out_.has_unbound_branches()) {
        std::fprintf(stderr, "vx: internal error: a branch of the block at %#x has no target\n", eip);
        std::abort();
    }
    cache_.commit(out_.size());
    return block_;
}

}  // namespace

Block Translator::translate(uint32_t eip, const SegmentBases& segments, const EntryFinder& find, int max_insns) {
    return BlockWriter(memory_, cache_, links_, segments, find, count_fuel_).write(eip, max_insns);
}

uint32_t fold_segment_base(ZydisRegister segment, const SegmentBases& bases) {
    if (segment == ZYDIS_REGISTER_FS) return bases.fs;
    if (segment == ZYDIS_REGISTER_GS) return bases.gs;
    return 0;  // cs, ds, es, ss all start at guest address 0
}

}  // namespace vx::dbt
