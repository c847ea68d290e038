// String instructions address es:[edi], whose segment cannot be overridden:
// in 64-bit mode that would be a host address. The host carries them out.
#include "dbt/runtime/string_ops.h"

#include <algorithm>
#include <cstring>

#include "x86/decoder.h"

namespace vx::dbt {
namespace {

constexpr uint32_t kCF = 1u << 0, kPF = 1u << 2, kAF = 1u << 4, kZF = 1u << 6, kSF = 1u << 7,
                   kDF = 1u << 10, kOF = 1u << 11;

// The flags of `cmp a, b` at `size` bytes.
uint32_t compare_flags(uint32_t eflags, uint32_t a, uint32_t b, unsigned size) {
    const uint32_t bits = size * 8;
    const uint32_t mask = bits == 32 ? 0xffffffffu : (1u << bits) - 1;
    const uint32_t sign = 1u << (bits - 1);
    a &= mask;
    b &= mask;
    uint32_t r = (a - b) & mask;
    uint32_t f = eflags & ~(kCF | kPF | kAF | kZF | kSF | kOF);
    if (a < b) f |= kCF;
    if (!__builtin_parity(r & 0xff)) f |= kPF;
    if ((a ^ b ^ r) & 0x10) f |= kAF;
    if (r == 0) f |= kZF;
    if (r & sign) f |= kSF;
    if ((a ^ b) & (a ^ r) & sign) f |= kOF;
    return f;
}

enum class Op { Movs, Stos, Lods, Scas, Cmps };

bool op_of(ZydisMnemonic m, Op& op, unsigned& size) {
    switch (m) {
    case ZYDIS_MNEMONIC_MOVSB: op = Op::Movs; size = 1; return true;
    case ZYDIS_MNEMONIC_MOVSW: op = Op::Movs; size = 2; return true;
    case ZYDIS_MNEMONIC_MOVSD: op = Op::Movs; size = 4; return true;
    case ZYDIS_MNEMONIC_STOSB: op = Op::Stos; size = 1; return true;
    case ZYDIS_MNEMONIC_STOSW: op = Op::Stos; size = 2; return true;
    case ZYDIS_MNEMONIC_STOSD: op = Op::Stos; size = 4; return true;
    case ZYDIS_MNEMONIC_LODSB: op = Op::Lods; size = 1; return true;
    case ZYDIS_MNEMONIC_LODSW: op = Op::Lods; size = 2; return true;
    case ZYDIS_MNEMONIC_LODSD: op = Op::Lods; size = 4; return true;
    case ZYDIS_MNEMONIC_SCASB: op = Op::Scas; size = 1; return true;
    case ZYDIS_MNEMONIC_SCASW: op = Op::Scas; size = 2; return true;
    case ZYDIS_MNEMONIC_SCASD: op = Op::Scas; size = 4; return true;
    case ZYDIS_MNEMONIC_CMPSB: op = Op::Cmps; size = 1; return true;
    case ZYDIS_MNEMONIC_CMPSW: op = Op::Cmps; size = 2; return true;
    case ZYDIS_MNEMONIC_CMPSD: op = Op::Cmps; size = 4; return true;
    default: return false;
    }
}

void set_accumulator(Registers& regs, uint32_t value, unsigned size) {
    if (size == 4) regs.eax = value;
    else if (size == 2) regs.eax = (regs.eax & 0xffff0000u) | (value & 0xffff);
    else regs.eax = (regs.eax & 0xffffff00u) | (value & 0xff);
}

// Elements of work between two looks at whether to stop.
constexpr uint32_t kElementsBetweenStopChecks = 1u << 22;

// Fast paths for the common forward rep movs / rep stos over accessible,
// non-overlapping ranges, `elements` at most; false when the element loop
// must do it.
bool bulk(GuestMemory& memory, Registers& regs, Op op, unsigned size, uint32_t elements) {
    uint64_t bytes = uint64_t(elements) * size;
    if (regs.eflags & kDF || bytes == 0) return false;
    if (!memory.accessible(regs.edi, bytes, kWrite)) return false;
    uint8_t* base = memory.host_base();
    if (op == Op::Movs) {
        if (!memory.accessible(regs.esi, bytes, kRead)) return false;
        if (regs.edi > regs.esi && regs.edi < regs.esi + bytes) return false;  // rep movs replicates
        std::memmove(base + regs.edi, base + regs.esi, bytes);
        regs.esi += uint32_t(bytes);
    } else {
        if (size == 1) {
            std::memset(base + regs.edi, int(regs.eax & 0xff), bytes);
        } else {
            for (uint64_t i = 0; i < bytes; i += size) std::memcpy(base + regs.edi + i, &regs.eax, size);
        }
    }
    regs.edi += uint32_t(bytes);
    regs.ecx -= elements;
    return true;
}

}  // namespace

StringOpResult run_string_op(GuestMemory& memory, Registers& regs, bool (*stop)(const void*), const void* context) {
    x86::Instruction insn;
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    Op op;
    unsigned size = 0;
    if (x86::decode(bytes, x86::fetch(memory, regs.eip, bytes), insn) != x86::DecodeStatus::Ok ||
        insn.info.meta.category != ZYDIS_CATEGORY_STRINGOP || !op_of(insn.mnemonic(), op, size))
        return {false, regs.eip};

    const auto attributes = insn.info.attributes;
    const bool rep = attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
    const bool until_equal = attributes & ZYDIS_ATTRIB_HAS_REPNE;  // repne: stop when ZF=1
    const uint32_t step = regs.eflags & kDF ? uint32_t(-int32_t(size)) : size;

    if (rep && (op == Op::Movs || op == Op::Stos)) {
        while (regs.ecx && bulk(memory, regs, op, size, std::min(regs.ecx, kElementsBetweenStopChecks)))
            if (regs.ecx && stop(context)) return {true, std::nullopt, true};
        if (regs.ecx == 0) {
            regs.eip += insn.length();
            return {};
        }
    }
    uint32_t until_stop_check = kElementsBetweenStopChecks;
    while (!rep || regs.ecx != 0) {
        if (rep && --until_stop_check == 0) {
            until_stop_check = kElementsBetweenStopChecks;
            if (stop(context)) return {true, std::nullopt, true};
        }
        uint32_t a = 0, b = 0;
        switch (op) {
        case Op::Movs:
            if (!memory.read(regs.esi, &a, size)) return {false, regs.esi};
            if (!memory.write(regs.edi, &a, size)) return {false, regs.edi};
            regs.esi += step;
            regs.edi += step;
            break;
        case Op::Stos:
            if (!memory.write(regs.edi, &regs.eax, size)) return {false, regs.edi};
            regs.edi += step;
            break;
        case Op::Lods:
            if (!memory.read(regs.esi, &a, size)) return {false, regs.esi};
            set_accumulator(regs, a, size);
            regs.esi += step;
            break;
        case Op::Scas:
            if (!memory.read(regs.edi, &b, size)) return {false, regs.edi};
            regs.eflags = compare_flags(regs.eflags, regs.eax, b, size);
            regs.edi += step;
            break;
        case Op::Cmps:
            if (!memory.read(regs.esi, &a, size)) return {false, regs.esi};
            if (!memory.read(regs.edi, &b, size)) return {false, regs.edi};
            regs.eflags = compare_flags(regs.eflags, a, b, size);
            regs.esi += step;
            regs.edi += step;
            break;
        }
        if (!rep) break;
        --regs.ecx;
        if (op == Op::Scas || op == Op::Cmps) {
            bool zero = regs.eflags & kZF;
            if (until_equal ? zero : !zero) break;
        }
    }
    regs.eip += insn.length();
    return {};
}

}  // namespace vx::dbt
