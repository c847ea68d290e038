#pragma once
// The instruction policy: for every decoded guest instruction, what the
// translator may do with it. Anything not explicitly allowed ends in a fault.
#include "vx/event.h"
#include "x86/decoder.h"

namespace vx::x86 {

enum class Action : uint8_t {
    Copy,          // run the guest's bytes as they are
    StripSegment,  // cs/fs/gs override: re-encode against the guest data segment
    Jump,          // jmp rel
    JumpCond,      // jcc rel
    LoopCond,      // loop/loope/loopne/jecxz rel8
    Call,          // call rel
    Return,        // ret / ret imm16
    JumpIndirect,  // jmp r/m32
    CallIndirect,  // call r/m32
    Syscall,       // int $0x80
    Breakpoint,    // int3: a trap reported after the instruction, as Linux does
    Popf,          // popfd, with the trap flag kept clear
    ReadSegment,   // mov r/m, sreg: the guest sees Linux's selector values
    LoadSegment,   // mov fs/gs, r16: the engine resolves the selector from the guest's descriptors
    Nop,           // a hint that does nothing here (reserved NOPs, cldemote, rdsspd): nothing runs
    Fault,         // never runs; becomes a fault event of kind `fault`
};

struct Decision {
    Action action;
    FaultKind fault = FaultKind::InvalidInstruction;
    const char* reason = "";  // why an instruction faults, for diagnostics
};

Decision classify(const Instruction& insn);

// The explicit segment override of an instruction, or ZYDIS_REGISTER_NONE.
ZydisRegister segment_override(const Instruction& insn);

}  // namespace vx::x86
