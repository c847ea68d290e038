// The translation of a block: guest instructions decoded one after the
// other, each given the rewrite the policy's decision calls for (in the
// translate_*.cpp files, see block_writer.h), then the block's exit stubs
// and its fuel accounting.
#include "dbt/translate/translator.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "dbt/translate/block_writer.h"

namespace vx::dbt {

const InsnRecord* Block::record_for(uint64_t pc) const {
    if (pc < host_entry || pc >= host_body_end || insns.empty()) return nullptr;
    uint64_t offset = pc - host_entry;
    auto it = std::upper_bound(insns.begin(), insns.end(), offset,
                               [](uint64_t o, const InsnRecord& r) { return o < r.host_offset; });
    return it == insns.begin() ? nullptr : &*(it - 1);
}

size_t BlockWriter::fetchable_bytes(uint32_t eip) const {
    size_t n = 0;
    while (n < ZYDIS_MAX_INSTRUCTION_LENGTH && uint64_t(eip) + n < memory_.size() &&
           (memory_.perms_at(uint32_t(eip + n)) & kExec))
        ++n;
    return n;
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
    const x86::Decision decision = x86::classify(insn);
    // (A hint that runs as nothing needs no state, whatever its set: cldemote's.)
    if (decision.action != Action::Fault && decision.action != Action::Nop && needs_extended_state(insn))
        load_extended_state();
    switch (translate_action(insn, decision, eip, pc)) {
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
    auto ended = [](bool ok) { return ok ? Outcome::End : Outcome::Refused; };
    constexpr Outcome kContinue = Outcome::Continue, kEnd = Outcome::End;
    switch (decision.action) {
    case Action::Copy:
    case Action::StripSegment: return translate_copied(insn, eip);
    case Action::ReadSegment: return written(read_segment(insn));
    case Action::LoadSegment: exit_with(EXIT_SEGMENT_LOAD, eip); return kEnd;
    case Action::Popf: pop_flags(); return kContinue;
    case Action::Nop: return kContinue;
    case Action::Jump: jump_to_guest(branch_target()); return kEnd;
    case Action::JumpCond: jump_if(insn, branch_target(), next); return kEnd;
    case Action::LoopCond: loop(insn, branch_target(), next); return kEnd;
    case Action::Call: call(branch_target(), next); return kEnd;
    case Action::Return: ret(insn); return kEnd;
    case Action::JumpIndirect: return ended(jump_through_operand(insn));
    case Action::CallIndirect: return ended(call_through_operand(insn, next));
    case Action::Syscall: exit_with(EXIT_SYSCALL, next, Refund::Completed); return kEnd;
    case Action::Breakpoint: exit_with(EXIT_BREAKPOINT, eip); return kEnd;
    case Action::Fault: exit_with(EXIT_FAULT_BASE + uint32_t(decision.fault), eip); return kEnd;
    }
    return kEnd;
}

// What the policy lets run as it is: most instructions are copied; those with
// stack, string or x87 state operands get rewrites of their own.
BlockWriter::Outcome BlockWriter::translate_copied(const Instruction& insn, uint32_t eip) {
    auto written = [](bool ok) { return ok ? Outcome::Continue : Outcome::Refused; };
    constexpr Outcome kContinue = Outcome::Continue, kEnd = Outcome::End;
    switch (insn.mnemonic()) {
    case ZYDIS_MNEMONIC_PUSH: return written(push_operand(insn));
    case ZYDIS_MNEMONIC_POP: return written(pop_operand(insn));
    case ZYDIS_MNEMONIC_PUSHFD: push_flags(); return kContinue;
    case ZYDIS_MNEMONIC_XLAT: xlat(); return kContinue;
    case ZYDIS_MNEMONIC_PUSHAD: case ZYDIS_MNEMONIC_PUSHA: return written(push_all(insn));
    case ZYDIS_MNEMONIC_POPAD: case ZYDIS_MNEMONIC_POPA: return written(pop_all(insn));
    case ZYDIS_MNEMONIC_ENTER: return written(enter(insn));
    case ZYDIS_MNEMONIC_LEAVE: leave(); return kContinue;
    case ZYDIS_MNEMONIC_LEA:
        if (insn.info.address_width == 16) return written(lea16(insn));
        break;
    case ZYDIS_MNEMONIC_SALC: salc(); return kContinue;
    case ZYDIS_MNEMONIC_FNSTENV:
    case ZYDIS_MNEMONIC_FNSAVE: return written(store_x87_state(insn));
    case ZYDIS_MNEMONIC_XSAVE:
    case ZYDIS_MNEMONIC_XSAVEOPT:
    case ZYDIS_MNEMONIC_XSAVEC: return written(copy_xsave(insn, eip));
    default: break;
    }
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
        if (target) out_.retarget(exit.site, chained_entry(block_, target));
    }
}

// The gate slot comes first, so that an entry past it still runs the fuel
// check. With fuel: the block's instructions are taken from r9, then a load at r9
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
    gate_slot();
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

Block Translator::translate(uint32_t eip, const SegmentBases& segments, const EntryFinder& find, int max_insns) {
    return BlockWriter(memory_, cache_, links_, segments, find, count_fuel_).write(eip, max_insns);
}

uint32_t fold_segment_base(ZydisRegister segment, const SegmentBases& bases) {
    if (segment == ZYDIS_REGISTER_FS) return bases.fs;
    if (segment == ZYDIS_REGISTER_GS) return bases.gs;
    return 0;  // cs, ds, es, ss all start at guest address 0
}

}  // namespace vx::dbt
