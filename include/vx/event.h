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

// Why a guest's call of a host function (docs/plugins.md) was refused.
enum class HostCallProblem {
    NoSuchGate,       // the guest ran into the gate page where no function's gate is
    UnreadableFrame,  // its return address or arguments at esp are not readable guest memory
    BadName,          // the name it looked up is not a readable string of at most kMaxHostFunctionName bytes
    UnknownFunction,  // it called a function by a name the host does not have
    BadPointer,       // a range the function was passed is not guest memory it may read (write)
    TooLong,          // a length or a string longer than the function takes
    Refused,          // the function refused the call (HostCall::refuse)
};

const char* to_string(HostCallProblem problem);

struct HostCallRefusal {
    HostCallProblem problem = HostCallProblem::Refused;
    uint32_t gate = 0;     // the address the guest called
    std::string function;  // the function's name, when the gate is one's or the guest named it
    std::string reason;    // for people: what was wrong
};

enum class EventKind {
    Syscall,      // the guest executed `int $0x80`; eip is past it
    Fault,        // see `fault`; eip is the faulting instruction
    Interrupted,  // interrupt() was called; run() again to continue
    LimitExceeded,// see `limit_exceeded`; eip is the next instruction to run
    Exit,         // the guest is gone: Sandbox::finish() was called
    HostCall,     // see `host_call`: a call of a host function refused (Sandbox::call's only, never run()'s)
};

struct Event {
    EventKind kind;
    Fault fault{};              // valid when kind == Fault
    int exit_status = 0;        // valid when kind == Exit
    LimitExceeded limit_exceeded{}; // valid when kind == LimitExceeded
    HostCallRefusal host_call{};    // valid when kind == HostCall
};

std::string describe(const Event& event);

}  // namespace vx
