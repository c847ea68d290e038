#include "x86/policy.h"

#include "x86/host_cpu.h"


#include <initializer_list>

namespace vx::x86 {
namespace {

bool is_one_of(ZydisMnemonic m, std::initializer_list<ZydisMnemonic> list) {
    for (ZydisMnemonic x : list)
        if (m == x) return true;
    return false;
}

Decision fault(FaultKind kind, const char* reason) { return {Action::Fault, kind, reason}; }
Decision run(Action action) { return {action}; }

// Categories of pure computation: no control transfer, no system state, no
// segment other than the guest's own data segment (overrides are checked apart).
bool is_computational(ZydisInstructionCategory c) {
    switch (c) {
    case ZYDIS_CATEGORY_ADOX_ADCX: case ZYDIS_CATEGORY_AES: case ZYDIS_CATEGORY_AVX:
    case ZYDIS_CATEGORY_AVX2: case ZYDIS_CATEGORY_AVX2GATHER: case ZYDIS_CATEGORY_AVX512:
    case ZYDIS_CATEGORY_AVX512_BITALG: case ZYDIS_CATEGORY_AVX512_VBMI:
    case ZYDIS_CATEGORY_AVX512_VP2INTERSECT: case ZYDIS_CATEGORY_BINARY:
    case ZYDIS_CATEGORY_BITBYTE: case ZYDIS_CATEGORY_BLEND: case ZYDIS_CATEGORY_BMI1:
    case ZYDIS_CATEGORY_BMI2: case ZYDIS_CATEGORY_BROADCAST: case ZYDIS_CATEGORY_CLFLUSHOPT:
    case ZYDIS_CATEGORY_CLWB: case ZYDIS_CATEGORY_CMOV: case ZYDIS_CATEGORY_COMPRESS:
    case ZYDIS_CATEGORY_CONFLICT: case ZYDIS_CATEGORY_CONVERT: case ZYDIS_CATEGORY_DATAXFER:
    case ZYDIS_CATEGORY_DECIMAL: case ZYDIS_CATEGORY_EXPAND: case ZYDIS_CATEGORY_FCMOV:
    case ZYDIS_CATEGORY_FP16: case ZYDIS_CATEGORY_GATHER: case ZYDIS_CATEGORY_GFNI:
    case ZYDIS_CATEGORY_IFMA: case ZYDIS_CATEGORY_KMASK: case ZYDIS_CATEGORY_LOGICAL:
    case ZYDIS_CATEGORY_LOGICAL_FP: case ZYDIS_CATEGORY_LZCNT: case ZYDIS_CATEGORY_MMX:
    case ZYDIS_CATEGORY_NOP: case ZYDIS_CATEGORY_PCLMULQDQ: case ZYDIS_CATEGORY_POP:
    case ZYDIS_CATEGORY_PREFETCH: case ZYDIS_CATEGORY_PUSH: case ZYDIS_CATEGORY_RDRAND:
    case ZYDIS_CATEGORY_RDSEED: case ZYDIS_CATEGORY_ROTATE: case ZYDIS_CATEGORY_SCATTER:
    case ZYDIS_CATEGORY_SEMAPHORE: case ZYDIS_CATEGORY_SETCC: case ZYDIS_CATEGORY_SHA:
    case ZYDIS_CATEGORY_SHIFT: case ZYDIS_CATEGORY_SSE: case ZYDIS_CATEGORY_STRINGOP:
    case ZYDIS_CATEGORY_STTNI: case ZYDIS_CATEGORY_VAES: case ZYDIS_CATEGORY_VBMI2:
    case ZYDIS_CATEGORY_VFMA: case ZYDIS_CATEGORY_VPCLMULQDQ:
    case ZYDIS_CATEGORY_X87_ALU:
        return true;
    default:
        return false;
    }
}

bool touches_system_register(const Instruction& insn) {
    for (size_t i = 0; i < insn.info.operand_count; ++i) {
        const ZydisDecodedOperand& op = insn.operands[i];
        if (op.type != ZYDIS_OPERAND_TYPE_REGISTER) continue;
        switch (ZydisRegisterGetClass(op.reg.value)) {
        case ZYDIS_REGCLASS_SEGMENT: case ZYDIS_REGCLASS_CONTROL: case ZYDIS_REGCLASS_DEBUG:
        case ZYDIS_REGCLASS_TEST: case ZYDIS_REGCLASS_TABLE: case ZYDIS_REGCLASS_BOUND:
            return true;
        default:
            break;
        }
    }
    return false;
}

bool reads_segment_register(const Instruction& insn) {
    return insn.mnemonic() == ZYDIS_MNEMONIC_MOV && insn.operand_count() == 2 &&
           insn.operands[1].type == ZYDIS_OPERAND_TYPE_REGISTER &&
           ZydisRegisterGetClass(insn.operands[1].reg.value) == ZYDIS_REGCLASS_SEGMENT;
}

bool is_foreign_segment(ZydisRegister seg) {
    return seg == ZYDIS_REGISTER_CS || seg == ZYDIS_REGISTER_FS || seg == ZYDIS_REGISTER_GS;
}

// A foreign-segment access can be re-encoded only where its address is an
// explicit operand; string instructions and xlat address memory implicitly.
bool has_hidden_foreign_access(const Instruction& insn) {
    for (size_t i = insn.operand_count(); i < insn.info.operand_count; ++i) {
        const ZydisDecodedOperand& op = insn.operands[i];
        if (op.type == ZYDIS_OPERAND_TYPE_MEMORY && op.mem.type == ZYDIS_MEMOP_TYPE_MEM &&
            is_foreign_segment(op.mem.segment))
            return true;
    }
    return false;
}

bool loads_tls_segment_from_register(const Instruction& insn) {
    if (insn.mnemonic() != ZYDIS_MNEMONIC_MOV || insn.operand_count() != 2) return false;
    const ZydisDecodedOperand& to = insn.operands[0];
    return to.type == ZYDIS_OPERAND_TYPE_REGISTER &&
           (to.reg.value == ZYDIS_REGISTER_FS || to.reg.value == ZYDIS_REGISTER_GS) &&
           insn.operands[1].type == ZYDIS_OPERAND_TYPE_REGISTER;
}

int segment_prefix_count(const Instruction& insn) {
    int n = 0;
    for (size_t i = 0; i < insn.info.raw.prefix_count; ++i)
        switch (insn.info.raw.prefixes[i].value) {
        case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: ++n; break;
        default: break;
        }
    return n;
}

bool is_near_operand_branch(const Instruction& insn) {
    return insn.info.operand_width == 32 && insn.info.address_width == 32;
}

Decision classify_control(const Instruction& insn) {
    if (insn.info.meta.branch_type == ZYDIS_BRANCH_TYPE_FAR)
        return fault(FaultKind::PrivilegedInstruction, "far transfer");
    const ZydisDecodedOperand& target = insn.operands[0];
    bool far = target.type == ZYDIS_OPERAND_TYPE_POINTER ||
               (target.type == ZYDIS_OPERAND_TYPE_MEMORY &&
                target.mem.type == ZYDIS_MEMOP_TYPE_MEM && target.size == 48);
    switch (insn.info.meta.category) {
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL: {
        bool call = insn.info.meta.category == ZYDIS_CATEGORY_CALL;
        if (far || insn.mnemonic() != (call ? ZYDIS_MNEMONIC_CALL : ZYDIS_MNEMONIC_JMP))
            return fault(FaultKind::PrivilegedInstruction, "far transfer");
        if (!is_near_operand_branch(insn)) return fault(FaultKind::InvalidInstruction, "16-bit branch");
        if (target.type == ZYDIS_OPERAND_TYPE_IMMEDIATE)
            return run(call ? Action::Call : Action::Jump);
        return run(call ? Action::CallIndirect : Action::JumpIndirect);
    }
    case ZYDIS_CATEGORY_COND_BR:
        if (!(insn.info.attributes & ZYDIS_ATTRIB_IS_RELATIVE) ||
            is_one_of(insn.mnemonic(), {ZYDIS_MNEMONIC_XBEGIN}))
            return fault(FaultKind::InvalidInstruction, "transactional memory");
        // The loops and jcxz may count in cx (a 67 prefix); no branch may
        // truncate eip to 16 bits (a 66 prefix).
        if (is_one_of(insn.mnemonic(), {ZYDIS_MNEMONIC_LOOP, ZYDIS_MNEMONIC_LOOPE, ZYDIS_MNEMONIC_LOOPNE,
                                        ZYDIS_MNEMONIC_JECXZ, ZYDIS_MNEMONIC_JCXZ}))
            return insn.info.operand_width == 32 ? run(Action::LoopCond)
                                                 : fault(FaultKind::InvalidInstruction, "16-bit branch");
        if (!is_near_operand_branch(insn)) return fault(FaultKind::InvalidInstruction, "16-bit branch");
        return run(Action::JumpCond);
    case ZYDIS_CATEGORY_RET:
        if (insn.mnemonic() != ZYDIS_MNEMONIC_RET)
            return fault(FaultKind::PrivilegedInstruction, "far return");
        if (!is_near_operand_branch(insn)) return fault(FaultKind::InvalidInstruction, "16-bit return");
        return run(Action::Return);
    default:
        return fault(FaultKind::InvalidInstruction, "unknown control transfer");
    }
}

Decision classify_interrupt(const Instruction& insn) {
    switch (insn.mnemonic()) {
    case ZYDIS_MNEMONIC_INT:
        if (insn.operands[0].imm.value.u == 0x80) return run(Action::Syscall);
        if (insn.operands[0].imm.value.u == 3) return run(Action::Breakpoint);
        return fault(FaultKind::PrivilegedInstruction, "software interrupt");
    case ZYDIS_MNEMONIC_INT3:
    case ZYDIS_MNEMONIC_INT1:  // Linux reports both as SIGTRAP
        return run(Action::Breakpoint);
    default:  // into
        return fault(FaultKind::PrivilegedInstruction, "software interrupt");
    }
}

Decision classify_misc(const Instruction& insn) {
    switch (insn.mnemonic()) {
    case ZYDIS_MNEMONIC_ENTER: case ZYDIS_MNEMONIC_LEAVE:
        // (The 16-bit forms move esp by 2 and set only bp: not translated.)
        if (insn.info.operand_width != 32) return fault(FaultKind::InvalidInstruction, "16-bit stack frame");
        return run(Action::Copy);
    case ZYDIS_MNEMONIC_LEA: case ZYDIS_MNEMONIC_CPUID: case ZYDIS_MNEMONIC_XLAT:
    case ZYDIS_MNEMONIC_PAUSE:
    case ZYDIS_MNEMONIC_LFENCE: case ZYDIS_MNEMONIC_MFENCE: case ZYDIS_MNEMONIC_SFENCE:
    case ZYDIS_MNEMONIC_CLFLUSH: case ZYDIS_MNEMONIC_BOUND:
        return run(Action::Copy);
    case ZYDIS_MNEMONIC_UD0: case ZYDIS_MNEMONIC_UD1: case ZYDIS_MNEMONIC_UD2:
        return fault(FaultKind::InvalidInstruction, "undefined instruction");
    default:
        return fault(FaultKind::InvalidInstruction, "instruction not allowed");
    }
}

Decision classify_flags(const Instruction& insn) {
    switch (insn.mnemonic()) {
    case ZYDIS_MNEMONIC_CLC: case ZYDIS_MNEMONIC_STC: case ZYDIS_MNEMONIC_CMC:
    case ZYDIS_MNEMONIC_CLD: case ZYDIS_MNEMONIC_STD: case ZYDIS_MNEMONIC_LAHF:
    case ZYDIS_MNEMONIC_SAHF: case ZYDIS_MNEMONIC_SALC:
        return run(Action::Copy);
    default:  // cli, sti, clac, stac, ...
        return fault(FaultKind::PrivilegedInstruction, "system flag");
    }
}

Decision classify_system(const Instruction& insn) {
    switch (insn.mnemonic()) {
    case ZYDIS_MNEMONIC_RDTSC:
        return run(Action::Copy);
    case ZYDIS_MNEMONIC_RDTSCP:  // refused as rdpid is: its ecx names the host's CPU and node
        return fault(FaultKind::PrivilegedInstruction, "rdtscp reveals the host CPU");
    default:
        return fault(FaultKind::PrivilegedInstruction, "system instruction");
    }
}

Decision classify_xsave(const Instruction& insn) {
    switch (insn.mnemonic()) {
    case ZYDIS_MNEMONIC_XGETBV:
        return run(Action::Copy);
    case ZYDIS_MNEMONIC_XSAVE: case ZYDIS_MNEMONIC_XSAVEOPT: case ZYDIS_MNEMONIC_XSAVEC:
    case ZYDIS_MNEMONIC_XRSTOR:
        // With PKRU in XCR0, xrstor could rewrite the thread's protection keys.
        if (os_saves_pkru()) return fault(FaultKind::InvalidInstruction, "xsave with PKRU");
        return run(Action::Copy);
    default:
        return fault(FaultKind::PrivilegedInstruction, "system instruction");
    }
}

Decision classify_by_category(const Instruction& insn) {
    const auto category = insn.info.meta.category;
    if (insn.mnemonic() == ZYDIS_MNEMONIC_POPFD) return run(Action::Popf);
    if (is_one_of(insn.mnemonic(), {ZYDIS_MNEMONIC_POPF, ZYDIS_MNEMONIC_PUSHF}))
        return fault(FaultKind::InvalidInstruction, "16-bit flags transfer");
    // The reserved NOPs (0f 19-1f, a ModRM whose memory is never touched),
    // a cache-line hint, and rdsspd, which does nothing where the shadow
    // stack is off (always, for an i386 process on Linux).
    if (category == ZYDIS_CATEGORY_WIDENOP || category == ZYDIS_CATEGORY_CLDEMOTE ||
        insn.mnemonic() == ZYDIS_MNEMONIC_RDSSPD)
        return run(Action::Nop);
    if (is_computational(category)) return run(Action::Copy);
    switch (category) {
    case ZYDIS_CATEGORY_CALL: case ZYDIS_CATEGORY_RET: case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
        return classify_control(insn);
    case ZYDIS_CATEGORY_INTERRUPT: return classify_interrupt(insn);
    case ZYDIS_CATEGORY_MISC: return classify_misc(insn);
    case ZYDIS_CATEGORY_FLAGOP: return classify_flags(insn);
    case ZYDIS_CATEGORY_SYSTEM: return classify_system(insn);
    case ZYDIS_CATEGORY_XSAVE: case ZYDIS_CATEGORY_XSAVEOPT: return classify_xsave(insn);
    case ZYDIS_CATEGORY_CET:
        if (insn.mnemonic() == ZYDIS_MNEMONIC_ENDBR32) return run(Action::Copy);
        return fault(FaultKind::InvalidInstruction, "shadow-stack instruction");
    case ZYDIS_CATEGORY_IO: case ZYDIS_CATEGORY_IOSTRINGOP:
        return fault(FaultKind::PrivilegedInstruction, "port I/O");
    case ZYDIS_CATEGORY_SEGOP:
        return fault(FaultKind::PrivilegedInstruction, "segment load");
    case ZYDIS_CATEGORY_SYSCALL: case ZYDIS_CATEGORY_SYSRET:
        return fault(FaultKind::InvalidInstruction, "syscall/sysenter");
    default:
        return fault(FaultKind::InvalidInstruction, "instruction not allowed");
    }
}

}  // namespace

ZydisRegister segment_override(const Instruction& insn) {
    const auto a = insn.info.attributes;
    if (a & ZYDIS_ATTRIB_HAS_SEGMENT_CS) return ZYDIS_REGISTER_CS;
    if (a & ZYDIS_ATTRIB_HAS_SEGMENT_FS) return ZYDIS_REGISTER_FS;
    if (a & ZYDIS_ATTRIB_HAS_SEGMENT_GS) return ZYDIS_REGISTER_GS;
    if (a & ZYDIS_ATTRIB_HAS_SEGMENT_DS) return ZYDIS_REGISTER_DS;
    if (a & ZYDIS_ATTRIB_HAS_SEGMENT_ES) return ZYDIS_REGISTER_ES;
    if (a & ZYDIS_ATTRIB_HAS_SEGMENT_SS) return ZYDIS_REGISTER_SS;
    return ZYDIS_REGISTER_NONE;
}

Decision classify(const Instruction& insn) {
    if (insn.info.attributes & ZYDIS_ATTRIB_IS_PRIVILEGED)
        return fault(FaultKind::PrivilegedInstruction, "privileged instruction");
    // Which of several segment prefixes wins is where decoders and CPUs could
    // disagree; no compiler emits more than one.
    if (segment_prefix_count(insn) > 1)
        return fault(FaultKind::InvalidInstruction, "several segment prefixes");
    if (insn.info.meta.category == ZYDIS_CATEGORY_SYSCALL ||
        insn.info.meta.category == ZYDIS_CATEGORY_SYSRET)  // before their hidden cs/ss operands
        return fault(FaultKind::InvalidInstruction, "syscall/sysenter");
    // A string instruction with 16-bit addresses walks si/di and wraps at
    // 64 KiB: not what the translation or the host's emulation does.
    if (insn.info.meta.category == ZYDIS_CATEGORY_STRINGOP && insn.info.address_width != 32)
        return fault(FaultKind::InvalidInstruction, "16-bit addressing");
    // Nor does an explicit memory operand's 16-bit address (its sum cut to
    // 64 KiB, a lone displacement zero-extended) survive the translation to
    // a 32-bit one: only lea computes one (BlockWriter::lea16); the stack's
    // own accesses keep esp whatever the prefix says.
    if (insn.info.address_width == 16)
        for (size_t i = 0; i < insn.operand_count(); ++i)
            if (insn.operands[i].type == ZYDIS_OPERAND_TYPE_MEMORY && insn.operands[i].mem.type != ZYDIS_MEMOP_TYPE_AGEN)
                return fault(FaultKind::InvalidInstruction, "16-bit addressing");
    if (reads_segment_register(insn)) return run(Action::ReadSegment);
    if (loads_tls_segment_from_register(insn)) return run(Action::LoadSegment);
    if (touches_system_register(insn))
        return fault(FaultKind::PrivilegedInstruction, "segment or system register");

    Decision d = classify_by_category(insn);
    if (d.action == Action::Copy) {
        if (insn.info.attributes & ZYDIS_ATTRIB_IS_RELATIVE)
            return fault(FaultKind::InvalidInstruction, "relative instruction not translated");
        if (is_foreign_segment(segment_override(insn))) {
            if (has_hidden_foreign_access(insn))
                return fault(FaultKind::InvalidInstruction, "segment override on an implicit operand");
            return run(Action::StripSegment);
        }
    }
    return d;
}

}  // namespace vx::x86
