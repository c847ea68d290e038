#pragma once
// The one place vx talks to Zydis' decoder: i386 (32-bit legacy mode) only.
#include <Zydis/Zydis.h>

#include <cstddef>
#include <cstdint>

#include "vx/guest_memory.h"

namespace vx::x86 {

struct Instruction {
    ZydisDecodedInstruction info;
    ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
    const uint8_t* bytes;  // `info.length` bytes

    uint32_t length() const { return info.length; }
    ZydisMnemonic mnemonic() const { return info.mnemonic; }
    // Visible operands only (implicit ones such as the stack are not listed).
    size_t operand_count() const { return info.operand_count_visible; }
};

enum class DecodeStatus {
    Ok,
    Invalid,    // no instruction the CPU would run (it raises #UD)
    TooLong,    // more than 15 bytes (the CPU raises #GP)
    Truncated,  // the bytes end before the instruction does
};

DecodeStatus decode(const uint8_t* bytes, size_t available, Instruction& out);

// Copies the (up to 15) readable guest bytes at `eip` into `out`; returns how
// many, 0 when none is readable.
size_t fetch(const GuestMemory& memory, uint32_t eip, uint8_t (&out)[ZYDIS_MAX_INSTRUCTION_LENGTH]);

// Re-encodes a request built from a decoded instruction; returns its length or 0.
size_t encode(const ZydisEncoderRequest& request, uint8_t* out, size_t capacity);

}  // namespace vx::x86
