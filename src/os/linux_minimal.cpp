#include "os/linux_minimal.h"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <vector>

#include "x86/disassemble.h"

namespace vx::os {
namespace {

enum : uint32_t { kSysExit = 1, kSysRead = 3, kSysWrite = 4, kSysExitGroup = 252 };
constexpr uint32_t kMaxTransfer = 1u << 20;

uint32_t negated(int error) { return uint32_t(-error); }

}  // namespace

bool LinuxMinimal::service_syscall(int& exit_status) {
    Registers& r = sandbox_.registers();
    GuestMemory& memory = sandbox_.memory();
    switch (r.eax) {
    case kSysExit:
    case kSysExitGroup:
        exit_status = int(r.ebx & 0xff);
        return true;
    case kSysWrite: {
        int fd = int(r.ebx);
        if (fd < 0 || fd > 2) { r.eax = negated(EBADF); break; }
        uint32_t length = std::min(r.edx, kMaxTransfer);
        if (!memory.accessible(r.ecx, length, kRead)) { r.eax = negated(EFAULT); break; }
        ssize_t n = ::write(fd, memory.host_base() + r.ecx, length);
        r.eax = n < 0 ? negated(errno) : uint32_t(n);
        break;
    }
    case kSysRead: {
        int fd = int(r.ebx);
        if (fd < 0 || fd > 2) { r.eax = negated(EBADF); break; }
        uint32_t length = std::min(r.edx, kMaxTransfer);
        if (!memory.accessible(r.ecx, length, kWrite)) { r.eax = negated(EFAULT); break; }
        ssize_t n = ::read(fd, memory.host_base() + r.ecx, length);
        r.eax = n < 0 ? negated(errno) : uint32_t(n);
        break;
    }
    default:
        r.eax = negated(ENOSYS);
        break;
    }
    return false;
}

int LinuxMinimal::run(FILE* diagnostics) {
    for (;;) {
        Event event = sandbox_.run();
        switch (event.kind) {
        case EventKind::Syscall: {
            int status = 0;
            if (service_syscall(status)) return status;
            break;
        }
        case EventKind::Fault: {
            int signo = linux_signal_for(event.fault.kind);
            std::fprintf(diagnostics, "vxrun: guest killed by SIG%s: %s: %s\n", sigabbrev_np(signo),
                         describe(event).c_str(),
                         x86::disassemble(sandbox_.memory(), event.fault.eip).c_str());
            return 128 + signo;
        }
        case EventKind::Exit:
            return event.exit_status;
        case EventKind::Interrupted:
            break;
        }
    }
}

}  // namespace vx::os
