#pragma once
// The translator's inside, for its own files only: BlockWriter writes one
// block (translator.cpp: the block, its exits and fuel, and which rewrite
// each instruction gets), one guest instruction at a time, each kind by the
// rewrites of its own file:
//   translate_operands.cpp  ordinary instructions, re-encoded with guest operands
//   translate_stack.cpp     push, pop, pushfd/popfd, pushad/popad, enter, leave
//   translate_strings.cpp   movs, stos, lods, scas, cmps
//   translate_branches.cpp  direct and indirect jumps and calls, ret, loop
//   translate_x87.cpp       fnstenv/fnsave, xsave, the extended state's gate
#include <Zydis/Zydis.h>

#include <cstdint>
#include <vector>

#include "dbt/emit/emitter.h"
#include "dbt/runtime/runtime_layout.h"
#include "dbt/translate/translator.h"
#include "x86/policy.h"

namespace vx::dbt {

using x86::Action;
using x86::Instruction;

// Registers of the translated code that the guest can never name.
constexpr ZydisRegister kGuestEsp = ZYDIS_REGISTER_R12D;
constexpr ZydisRegister kCtx = ZYDIS_REGISTER_R15;
constexpr ZydisRegister kTarget = ZYDIS_REGISTER_R10D;  // indirect branch target
constexpr ZydisRegister kScratch = ZYDIS_REGISTER_R13D;
constexpr ZydisRegister kScratch64 = ZYDIS_REGISTER_R13;
constexpr ZydisRegister kMissPath = ZYDIS_REGISTER_R14;  // RuntimeLinks::miss_path

inline ZydisRegister rename(ZydisRegister r) {
    if (r == ZYDIS_REGISTER_ESP) return kGuestEsp;
    if (r == ZYDIS_REGISTER_SP) return ZYDIS_REGISTER_R12W;
    return r;
}

inline bool is_memory(const ZydisDecodedOperand& op) {
    return op.type == ZYDIS_OPERAND_TYPE_MEMORY &&
           (op.mem.type == ZYDIS_MEMOP_TYPE_MEM || op.mem.type == ZYDIS_MEMOP_TYPE_VSIB);
}

// A decoded guest operand as an x86-64 operand: esp renamed, a guest fs/gs
// base folded into the displacement (32-bit wrap, as the CPU computes it).
ZydisEncoderOperand to_host(const ZydisDecodedOperand& op, const SegmentBases& bases);
bool has_hidden_memory(const Instruction& insn);
// The confinement check (see translate_operands.cpp).
bool is_confined(const uint8_t* code, size_t length);
ZydisEncoderRequest mov_request(const ZydisEncoderOperand& to, const ZydisEncoderOperand& from);

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
    enum class Outcome { Continue, End, Refused };

    // translator.cpp: the block.
    size_t fetchable_bytes(uint32_t eip) const;
    bool translate_one(uint32_t& pc);
    Outcome translate_action(const Instruction& insn, x86::Decision decision, uint32_t eip, uint32_t next);
    Outcome translate_copied(const Instruction& insn, uint32_t eip);
    void record(uint32_t eip, uint8_t fixup = kNoFixup) {
        block_.insns.push_back({uint32_t(out_.here() - block_.host_entry), eip, fixup, index_});
    }
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
    void finish_exits();

    // translate_operands.cpp
    bool copy(const Instruction& insn, uint32_t eip);
    bool emit_guest_request(ZydisEncoderRequest& r, bool address_only = false);
    // Encodes `r` with esp exchanged for a guest register `insn` does not use
    // (see kEspSwapped); false when it still cannot be encoded.
    bool emit_with_esp_swapped(const Instruction& insn, ZydisEncoderRequest& r, uint32_t eip, bool address_only);
    void xlat();
    bool read_segment(const Instruction& insn);

    // translate_stack.cpp
    // `bytes` 4, or 2 (a 16-bit push: a 66 prefix)
    void push(ZydisEncoderOperand value, uint16_t bytes = 4);
    void adjust_esp(int64_t delta);
    bool push_operand(const Instruction& insn);
    bool pop_operand(const Instruction& insn);
    void push_flags();
    void pop_flags();
    bool push_all(const Instruction& insn);
    bool pop_all(const Instruction& insn);
    bool enter(const Instruction& insn);
    void leave();

    // translate_strings.cpp
    bool inline_string(const Instruction& insn, uint32_t eip);

    // translate_branches.cpp
    void jump_to_guest(uint32_t target);
    void jump_to_guest_if(ZydisMnemonic jcc, uint32_t target);
    void jump_if(const Instruction& insn, uint32_t target, uint32_t next);
    void loop(const Instruction& insn, uint32_t target, uint32_t next);
    void loop_cx(const Instruction& insn, uint32_t target, uint32_t next);
    bool lea16(const Instruction& insn);
    void salc();
    void call(uint32_t target, uint32_t next);
    void ret(const Instruction& insn);
    bool load_target(const Instruction& insn);
    bool jump_through_operand(const Instruction& insn);
    bool call_through_operand(const Instruction& insn, uint32_t next);
    void jump_indirect();  // to the translation of the guest address in r10d

    // translate_x87.cpp
    bool store_x87_state(const Instruction& insn);
    bool copy_xsave(const Instruction& insn, uint32_t eip);
    void gate_slot();
    void load_extended_state();

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

}  // namespace vx::dbt
