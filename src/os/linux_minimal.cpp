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

// read or write on fds 0-2: ebx = fd, ecx = guest buffer, edx = length. The
// buffer must lie in guest memory with `needed` permission, or -EFAULT.
template <typename Io>
uint32_t transfer(GuestMemory& memory, const Registers& r, Perm needed, Io io) {
    int fd = int(r.ebx);
    if (fd < 0 || fd > 2) return negated(EBADF);
    uint32_t length = std::min(r.edx, kMaxTransfer);
    if (!memory.accessible(r.ecx, length, needed)) return negated(EFAULT);
    ssize_t n = io(fd, memory.host_base() + r.ecx, length);
    return n < 0 ? negated(errno) : uint32_t(n);
}

}  // namespace

bool LinuxMinimal::service_syscall(int& exit_status) {
    Registers& r = sandbox_.registers();
    GuestMemory& memory = sandbox_.memory();
    switch (r.eax) {
    case kSysExit:
    case kSysExitGroup:
        exit_status = int(r.ebx & 0xff);
        return true;
    case kSysWrite:
        r.eax = transfer(memory, r, kRead, [](int fd, void* p, size_t n) { return ::write(fd, p, n); });
        break;
    case kSysRead:
        r.eax = transfer(memory, r, kWrite, [](int fd, void* p, size_t n) { return ::read(fd, p, n); });
        break;
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
            if (service_syscall(status)) sandbox_.finish(status);
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
