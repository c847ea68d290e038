#pragma once
#include <cstdint>
#include <optional>

#include "vx/guest_memory.h"
#include "vx/registers.h"

namespace vx::dbt {

struct StringOpResult {
    bool ok = true;
    std::optional<uint32_t> fault_address;
    bool stopped = false;  // by `stop`, part of the way: eip still names the instruction
};

// Carries out the string instruction (movs, stos, lods, scas, cmps; with rep,
// repe or repne) at regs.eip against guest memory, as the CPU would: on a
// fault, regs hold the progress made and eip still names the instruction, so
// running it again continues where it stopped. A rep instruction also stops
// part of the way (as the CPU does for an interrupt) when `stop` returns true;
// it is asked every few MiB of work.
StringOpResult run_string_op(GuestMemory& memory, Registers& regs, bool (*stop)(const void*), const void* context);

}  // namespace vx::dbt
