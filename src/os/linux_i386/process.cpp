#include "os/linux_i386/process.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <utility>

#include "vx/error.h"

#include "os/linux_i386/host_filter.h"
#include "os/linux_i386/syscall_table.h"
#include "x86/disassemble.h"

namespace vx::os::linux_i386 {

LinuxProcess::LinuxProcess(Sandbox& sandbox, const ElfImage& image, ProcessOptions options)
    : sandbox_(sandbox), memory_(sandbox.memory()), options_(std::move(options)),
      tree_(std::make_unique<ProcessTree>(options_.max_processes)) {
    start_image(image);
    if (options_.private_tmp) {
        private_tmp_ = std::make_unique<ScratchDirectory>();
        options_.mounts.push_back({"/tmp", private_tmp_->host_path(), true});
    }
    for (const Mount& mount : options_.mounts) files_.add(mount);
    if (int error = files_.chdir(files_.cwd(), options_.cwd); error < 0)
        throw Error("--cwd " + options_.cwd + ": not a directory inside a --mount (" + strerror(-error) + ")");
    fds_ = {0, 1, 2};
    fd_places_.resize(fds_.size());
    fd_cloexec_.resize(fds_.size());
    if (options_.own_host_process) {
        // As across exec on Linux, what the host process ignores the guest ignores.
        for (int signo = 1; signo < int(kSignals); ++signo) {
            struct sigaction host;
            if (is_mirrored(signo) && sigaction(signo, nullptr, &host) == 0 && host.sa_handler == SIG_IGN)
                signal_actions_[signo].handler = 1;  // SIG_IGN
        }
    }
}

void LinuxProcess::start_image(const ElfImage& image) {
    // What the loader and the initial stack mapped is the process's already.
    reserved_.assign(memory_.size() / kPageSize, false);
    for (uint32_t page = 0; page < reserved_.size(); ++page)
        reserved_[page] = memory_.perms_at(page * kPageSize) != kNone;
    brk_start_ = brk_ = image.image_end;
    uint32_t lowest_stack = memory_.size();
    while (lowest_stack > kPageSize && reserved_[lowest_stack / kPageSize - 1]) lowest_stack -= kPageSize;
    mmap_top_ = lowest_stack - kPageSize;  // a guard page under the stack
    std::fill(std::begin(tls_used_), std::end(tls_used_), false);
}

LinuxProcess::~LinuxProcess() {
    for (int host : fds_)
        if (host > 2) ::close(host);  // 0-2 are the host's own
    // The other processes of the tree end with this one (they would anyway,
    // with their parents); before the private /tmp goes, so that none is
    // still writing there.
    if (!forked_ && private_tmp_) {
        tree_->for_each([&](int32_t member) {
            if (member != tree_->self()) tree_->signal(member, SIGKILL);
        });
    }
}

void LinuxProcess::service_syscall() {
    Registers& r = sandbox_.registers();
    SyscallArgs args{r.eax, {r.ebx, r.ecx, r.edx, r.esi, r.edi, r.ebp}};
    const SyscallEntry* entry = find_syscall(args.nr);
    ++syscall_counts_[std::min(args.nr, kSyscalls - 1)];
    int32_t result = entry ? (this->*entry->handler)(args) : fail(ENOSYS);
    if (options_.trace) trace_syscall(options_.trace, memory_, tree_->self(), args, entry, result);
    tree_->set_memory(sandbox_.finished() ? 0 : sandbox_.memory_in_use());  // for the others' memory limit
    if (sandbox_.finished()) return;
    r.eax = uint32_t(result);
    // A sigreturn's result is the interrupted code's eax, which may well be
    // -EINTR: that is no interrupted call of its own.
    bool sigreturn = args.nr == 119 || args.nr == 173;
    deliver_pending_signals(result == -EINTR && !sigreturn ? int32_t(args.nr) : -1);
}

void LinuxProcess::end_host_process(int status) {
    std::fflush(nullptr);
    if (killed_by_) {
        // Die of the same signal, so the parent's wait reports it.
        signal(killed_by_, SIG_DFL);
        sigset_t just_it;
        sigemptyset(&just_it);
        sigaddset(&just_it, killed_by_);
        sigprocmask(SIG_UNBLOCK, &just_it, nullptr);
        raise(killed_by_);
    }
    _exit(status);
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

std::string LinuxProcess::who() const {
    // (Appended rather than " " + to_string(...), which GCC 12 at -O3 takes
    // for an overlapping memcpy: -Wrestrict.)
    std::string text;
    if (tree_->self() != 1) text.append(" ").append(std::to_string(tree_->self()));
    return text;
}

int LinuxProcess::finish_run(int status) {
    if (forked_) end_host_process(status);
    return status;
}

int LinuxProcess::run(FILE* diagnostics) {
    if (options_.host_filter) install_host_filter();
    for (;;) {
        Event event = sandbox_.run();
        switch (event.kind) {
        case EventKind::Syscall:
            service_syscall();
            break;
        case EventKind::SegmentLoad:
            if (load_segment(event.segment_load)) break;
            event = Event{EventKind::Fault, Fault{FaultKind::GeneralProtection, sandbox_.registers().eip, {}}};
            [[fallthrough]];
        case EventKind::Fault: {
            if (deliver_fault(event.fault)) break;
            int signo = linux_signal_for(event.fault.kind);
            std::fprintf(diagnostics, "vxrun: guest%s killed by SIG%s: %s: %s\n", who().c_str(), sigabbrev_np(signo),
                         describe(event).c_str(), x86::disassemble(memory_, event.fault.eip).c_str());
            killed_by_ = signo;
            return finish_run(128 + signo);
        }
        case EventKind::Exit:
            // A signal a process sent itself is the guest's own business, and
            // its parent's wait reports it; only the first process, whose end
            // is vxrun's, says so.
            if (killed_by_ && !forked_)
                std::fprintf(diagnostics, "vxrun: guest%s killed by SIG%s (sent by itself)\n", who().c_str(),
                             sigabbrev_np(killed_by_));
            return finish_run(event.exit_status);
        case EventKind::Interrupted:
            deliver_pending_signals(-1);
            break;
        case EventKind::LimitExceeded:
            std::fprintf(diagnostics, "vxrun: guest%s stopped: %s\n", who().c_str(), describe(event).c_str());
            killed_by_ = SIGKILL;
            return finish_run(128 + SIGKILL);
        }
    }
}

}  // namespace vx::os::linux_i386
