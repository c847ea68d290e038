#include "os/linux_i386/process.h"

#include <csignal>
#include <cstring>
#include <utility>
#include <unistd.h>

#include "vx/error.h"

#include "os/linux_i386/syscall_table.h"
#include "x86/disassemble.h"

namespace vx::os::linux_i386 {

LinuxProcess::LinuxProcess(Sandbox& sandbox, const ElfImage& image, ProcessOptions options)
    : sandbox_(sandbox), memory_(sandbox.memory()), options_(std::move(options)),
      reserved_(memory_.size() / kPageSize, false) {
    // What the loader and the initial stack mapped is the process's already.
    for (uint32_t page = 0; page < reserved_.size(); ++page)
        reserved_[page] = memory_.perms_at(page * kPageSize) != kNone;
    brk_start_ = brk_ = image.image_end;
    uint32_t lowest_stack = memory_.size();
    while (lowest_stack > kPageSize && reserved_[lowest_stack / kPageSize - 1]) lowest_stack -= kPageSize;
    mmap_top_ = lowest_stack - kPageSize;  // a guard page under the stack

    for (const Mount& mount : options_.mounts) files_.add(mount);
    if (int error = files_.chdir(options_.cwd); error < 0)
        throw Error("--cwd " + options_.cwd + ": not a directory inside a --mount (" + strerror(-error) + ")");
    fds_ = {0, 1, 2};
    fd_paths_.resize(fds_.size());
}

LinuxProcess::~LinuxProcess() {
    for (int host : fds_)
        if (host > 2) ::close(host);  // 0-2 are the host's own
}

void LinuxProcess::service_syscall() {
    Registers& r = sandbox_.registers();
    SyscallArgs args{r.eax, {r.ebx, r.ecx, r.edx, r.esi, r.edi, r.ebp}};
    const SyscallEntry* entry = find_syscall(args.nr);
    int32_t result = entry ? (this->*entry->handler)(args) : fail(ENOSYS);
    if (options_.trace) trace_syscall(options_.trace, args, entry, result);
    if (!sandbox_.finished()) r.eax = uint32_t(result);
}

bool LinuxProcess::load_segment(const SegmentLoad& load) {
    unsigned index = load.selector >> 3;
    bool null_selector = (load.selector & ~3u) == 0;
    bool tls_selector = (load.selector & 7u) == 3 && index >= kFirstTlsEntry &&
                        index < kFirstTlsEntry + kTlsEntries && tls_used_[index - kFirstTlsEntry];
    if (!null_selector && !tls_selector) return false;
    uint32_t base = tls_selector ? tls_base_[index - kFirstTlsEntry] : 0;
    sandbox_.set_segment(load.segment, load.selector, base);
    sandbox_.registers().eip = load.next_eip;
    return true;
}

int LinuxProcess::run(FILE* diagnostics) {
    for (;;) {
        Event event = sandbox_.run();
        switch (event.kind) {
        case EventKind::Syscall:
            service_syscall();
            if (pending_signal_ && !sandbox_.finished()) {
                int signo = std::exchange(pending_signal_, 0);
                if (!deliver_signal(signo, pending_code_, 0)) die_of_signal(SIGSEGV);
            }
            break;
        case EventKind::SegmentLoad:
            if (load_segment(event.segment_load)) break;
            event = Event{EventKind::Fault, Fault{FaultKind::GeneralProtection, sandbox_.registers().eip, {}}};
            [[fallthrough]];
        case EventKind::Fault: {
            if (deliver_fault(event.fault)) break;
            int signo = linux_signal_for(event.fault.kind);
            std::fprintf(diagnostics, "vxrun: guest killed by SIG%s: %s: %s\n", sigabbrev_np(signo),
                         describe(event).c_str(), x86::disassemble(memory_, event.fault.eip).c_str());
            return 128 + signo;
        }
        case EventKind::Exit:
            if (killed_by_) {
                std::fprintf(diagnostics, "vxrun: guest killed by SIG%s (sent by itself)\n", sigabbrev_np(killed_by_));
                return 128 + killed_by_;
            }
            return event.exit_status;
        case EventKind::Interrupted:
            break;
        }
    }
}

}  // namespace vx::os::linux_i386
