#include <csignal>
#include <cstdio>

#include "vx/event.h"

namespace vx {

const char* to_string(FaultKind kind) {
    switch (kind) {
    case FaultKind::PageFault: return "page fault";
    case FaultKind::SegmentBounds: return "access beyond guest memory";
    case FaultKind::StackBounds: return "stack access beyond guest memory";
    case FaultKind::GeneralProtection: return "general protection fault";
    case FaultKind::PrivilegedInstruction: return "privileged instruction";
    case FaultKind::InvalidInstruction: return "invalid instruction";
    case FaultKind::DivideError: return "divide error";
    case FaultKind::FloatingPoint: return "floating-point exception";
    case FaultKind::AlignmentCheck: return "alignment check";
    case FaultKind::Breakpoint: return "breakpoint";
    }
    return "fault";
}

const char* to_string(Limit limit) {
    switch (limit) {
    case Limit::Memory: return "memory";
    case Limit::CpuTime: return "cpu time";
    case Limit::WallTime: return "wall time";
    case Limit::Instructions: return "instruction";
    case Limit::Output: return "output";
    case Limit::FileSize: return "file size";
    case Limit::OpenFiles: return "open files";
    case Limit::Processes: return "processes";
    case Limit::HostMappings: return "host mappings";
    }
    return "resource";
}

std::string format_amount(Limit limit, uint64_t amount) {
    char buffer[64];
    switch (limit) {
    case Limit::CpuTime:
    case Limit::WallTime:
        std::snprintf(buffer, sizeof buffer, "%.3f s", double(amount) / 1e9);
        return buffer;
    case Limit::Memory:
    case Limit::Output:
    case Limit::FileSize:
        if (amount >= (1u << 20)) std::snprintf(buffer, sizeof buffer, "%.1f MiB", double(amount) / (1u << 20));
        else if (amount >= (1u << 10)) std::snprintf(buffer, sizeof buffer, "%.1f KiB", double(amount) / (1u << 10));
        else std::snprintf(buffer, sizeof buffer, "%llu bytes", (unsigned long long)amount);
        return buffer;
    default:
        return std::to_string(amount);
    }
}

const char* to_string(HostCallProblem problem) {
    switch (problem) {
    case HostCallProblem::NoSuchGate: return "no such gate";
    case HostCallProblem::UnreadableFrame: return "unreadable call frame";
    case HostCallProblem::BadName: return "bad function name";
    case HostCallProblem::UnknownFunction: return "unknown function";
    case HostCallProblem::BadPointer: return "bad pointer";
    case HostCallProblem::TooLong: return "too long";
    case HostCallProblem::Refused: return "refused";
    }
    return "refused";
}

namespace {

// A name the guest chose, shown to people: printable ASCII as it is, any
// other byte as \xNN (no terminal control sequence gets through).
std::string printable(const std::string& text) {
    std::string shown;
    for (unsigned char c : text) {
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            shown += char(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            shown += escaped;
        }
    }
    return shown;
}

}  // namespace

std::string describe(const Event& event) {
    char buffer[160];
    switch (event.kind) {
    case EventKind::Syscall: return "syscall";
    case EventKind::Interrupted: return "interrupted";
    case EventKind::LimitExceeded:
        return std::string(to_string(event.limit_exceeded.limit)) +
               (event.limit_exceeded.per_call ? " limit of the call exceeded: used " : " limit exceeded: used ") +
               format_amount(event.limit_exceeded.limit, event.limit_exceeded.used) + " of " +
               format_amount(event.limit_exceeded.limit, event.limit_exceeded.maximum);
    case EventKind::Exit:
        std::snprintf(buffer, sizeof buffer, "exit %d", event.exit_status);
        return buffer;
    case EventKind::Fault:
        if (event.fault.address)
            std::snprintf(buffer, sizeof buffer, "%s at eip 0x%08x (address 0x%08x)",
                          to_string(event.fault.kind), event.fault.eip, *event.fault.address);
        else
            std::snprintf(buffer, sizeof buffer, "%s at eip 0x%08x", to_string(event.fault.kind),
                          event.fault.eip);
        return buffer;
    case EventKind::HostCall: {
        const HostCallRefusal& refusal = event.host_call;
        std::snprintf(buffer, sizeof buffer, "host call at gate 0x%08x", refusal.gate);
        std::string text = buffer;
        if (!refusal.function.empty()) text += " (" + printable(refusal.function) + ")";
        text += std::string(" refused: ") + to_string(refusal.problem);
        if (!refusal.reason.empty()) text += ": " + printable(refusal.reason);
        return text;
    }
    }
    return "event";
}

}  // namespace vx
