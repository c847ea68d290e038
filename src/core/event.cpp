#include <csignal>
#include <cstdio>

#include "vx/event.h"

namespace vx {

int linux_signal_for(FaultKind kind) {
    switch (kind) {
    case FaultKind::InvalidInstruction: return SIGILL;
    case FaultKind::DivideError: case FaultKind::FloatingPoint: return SIGFPE;
    case FaultKind::AlignmentCheck: return SIGBUS;
    case FaultKind::Breakpoint: return SIGTRAP;
    default: return SIGSEGV;
    }
}

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

std::string describe(const Event& event) {
    char buffer[160];
    switch (event.kind) {
    case EventKind::Syscall: return "syscall";
    case EventKind::SegmentLoad:
        std::snprintf(buffer, sizeof buffer, "load of %%%s with selector 0x%x",
                      event.segment_load.segment == SegmentRegister::fs ? "fs" : "gs",
                      event.segment_load.selector);
        return buffer;
    case EventKind::Interrupted: return "interrupted";
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
    }
    return "event";
}

}  // namespace vx
