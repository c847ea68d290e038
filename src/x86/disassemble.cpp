#include "x86/disassemble.h"

#include <Zydis/Zydis.h>

#include <cstdio>

#include "x86/decoder.h"

namespace vx::x86 {

std::string disassemble(const GuestMemory& memory, uint32_t eip) {
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    size_t n = fetch(memory, eip, bytes);
    if (n == 0) return "(instruction not readable)";
    ZydisDisassembledInstruction insn;
    if (!ZYAN_SUCCESS(ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LEGACY_32, eip, bytes, n, &insn))) {
        std::string hex = "(undecodable:";
        for (size_t i = 0; i < n && i < 8; ++i) {
            char b[4];
            std::snprintf(b, sizeof b, " %02x", bytes[i]);
            hex += b;
        }
        return hex + ")";
    }
    return insn.text;
}

}  // namespace vx::x86
