#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "vx/limits.h"
#include "vx/registers.h"

namespace vx {

// Why a guest stopped in a way Linux would report as a signal.
enum class FaultKind {
    PageFault,             // access to unmapped guest memory or without permission
    SegmentBounds,         // access beyond the end of guest memory
    StackBounds,           // a stack access beyond the end of guest memory
    GeneralProtection,     // e.g. an instruction longer than 15 bytes, a load of a selector
                           // the sandbox's descriptors refuse (Sandbox::set_descriptor)
    PrivilegedInstruction, // hlt, in/out, cli, far transfers, segment loads, ...
    InvalidInstruction,    // undecodable or not allowed (#UD on hardware)
    DivideError,
    FloatingPoint,         // an unmasked x87/SSE exception
    AlignmentCheck,        // AC flag set and an unaligned access
    Breakpoint,            // int3
};

const char* to_string(FaultKind kind);

struct Fault {
    FaultKind kind;
    uint32_t eip = 0;                 // guest address of the faulting instruction
    std::optional<uint32_t> address;  // guest data address, where known
};

enum class EventKind {
    Syscall,      // the guest executed `int $0x80`; eip is past it
    Fault,        // see `fault`; eip is the faulting instruction
    Interrupted,  // interrupt() was called; run() again to continue
    LimitExceeded,// see `limit_exceeded`; eip is the next instruction to run
    Exit,         // the guest is gone: Sandbox::finish() was called
};

struct Event {
    EventKind kind;
    Fault fault{};              // valid when kind == Fault
    int exit_status = 0;        // valid when kind == Exit
    LimitExceeded limit_exceeded{}; // valid when kind == LimitExceeded
};

std::string describe(const Event& event);

}  // namespace vx
