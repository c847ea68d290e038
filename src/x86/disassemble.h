#pragma once
#include <string>

#include "vx/guest_memory.h"

namespace vx::x86 {

// The guest instruction at `eip` in Intel syntax, or a note why it cannot be shown.
std::string disassemble(const GuestMemory& memory, uint32_t eip);

}  // namespace vx::x86
