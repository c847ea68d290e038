#pragma once
#include <optional>

#include "vx/guest_memory.h"
#include "vx/registers.h"

namespace vx::dbt {

struct StringOpResult {
    bool ok = true;
    std::optional<uint32_t> fault_address;
};

// Carries out the string instruction (movs, stos, lods, scas, cmps; with rep,
// repe or repne) at regs.eip against guest memory, as the CPU would: on a
// fault, regs hold the progress made and eip still names the instruction, so
// running it again continues where it stopped.
StringOpResult run_string_op(GuestMemory& memory, Registers& regs);

}  // namespace vx::dbt
