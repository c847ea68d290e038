#include "os/linux_i386/process.h"
#include "os/linux_i386/syscall_numbers.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <utility>

#include "vx/error.h"

#include "os/linux_i386/host_filter.h"
#include "os/linux_i386/landlock.h"
#include "os/linux_i386/syscall_table.h"

namespace vx::os::linux_i386 {

LinuxProcess::LinuxProcess(Sandbox& sandbox, const ElfImage& image, ProcessOptions options)
    : sandbox_(sandbox), memory_(sandbox.memory()), options_(std::move(options)),
      descriptors_(options_.max_open_files),
      tree_(std::make_unique<ProcessTree>(options_.max_processes,
                                          (memory_.size() + GuestMemory::kCopyRun - 1) / GuestMemory::kCopyRun)),
      host_signals_(options_.own_host_process, sandbox) {
    sandbox_.set_memory_admission([this](uint64_t bytes) { return admit_own_growth(bytes); });
    memory_.set_copy_release([this](uint16_t id, uint32_t run) { tree_->release_copy(id, run, tree_->self()); });
    start_image(image);
    if (options_.private_tmp) {
        for (const Mount& mount : options_.mounts)
            if (files_.normalize(mount.guest_path) == "/tmp")
                throw SetupRefused(SetupRefused::Reason::TmpTaken, mount);
        private_tmp_ = std::make_unique<ScratchDirectory>([this](const std::string& path, bool watchdog_retries) {
            if (options_.reporter) options_.reporter->private_tmp_left(path, watchdog_retries);
        });
        options_.mounts.push_back({"/tmp", private_tmp_->host_path(), true});
    }
    for (const Mount& mount : options_.mounts) files_.add(mount);
    if (int error = files_.chdir(files_.cwd(), options_.cwd); error < 0)
        throw SetupRefused(SetupRefused::Reason::CwdUnusable, {}, options_.cwd, {}, -error);
    give_standard_fds();
    if (options_.own_host_process) {
        // As across exec on Linux, what the host process ignores the guest ignores.
        for (int signo = 1; signo < int(kSignals); ++signo) {
            struct sigaction host;
            if (is_mirrored(signo) && sigaction(signo, nullptr, &host) == 0 && host.sa_handler == SIG_IGN)
                signals_.set_action(signo, {SignalState::kIgnore, 0, 0, 0});
        }
        // CPU time and fuel hold for the tree the guest may fork.
        budgets_.hold(sandbox_.limits().cpu_time_ns, sandbox_.limits().instructions);
        if (options_.max_file_size) {
            limit_host_file_size();
            mirror_disposition(SIGXFSZ);  // the kernel's SIGXFSZ must not end the host process
        }
    }
}

// Copies above 2, so that a guest's close(1) never closes the host's own
// stdout, and a host descriptor that was closed stays closed for the guest.
void LinuxProcess::give_standard_fds() {
    for (uint32_t guest = 0; guest < 3; ++guest) {
        int host = options_.standard_fds[guest];
        if (host < 0) continue;
        int copy = ::fcntl(host, F_DUPFD_CLOEXEC, 3);
        if (copy < 0 && errno != EBADF)
            throw Error(std::string("cannot give the guest descriptor ") + std::to_string(guest) + ": " +
                        strerror(errno));
        if (copy >= 0) descriptors_.install(copy, guest, false);
    }
}

void LinuxProcess::start_image(const ElfImage& image) {
    // What the loader and the initial stack mapped is the process's already.
    std::vector<bool> mapped(memory_.size() / kPageSize, false);
    for (uint32_t page = 0; page < mapped.size(); ++page) mapped[page] = memory_.perms_at(page * kPageSize) != kNone;
    uint32_t lowest_stack = memory_.size();
    while (lowest_stack > kPageSize && mapped[lowest_stack / kPageSize - 1]) lowest_stack -= kPageSize;
    // The stack's grow-down region is the stack's: nothing is placed there.
    if (memory_.grow_down_low() == lowest_stack) lowest_stack = memory_.grow_down_floor();
    space_.start(std::move(mapped), image.image_end, lowest_stack - kPageSize);  // a guard page under the stack
    thread_areas_.clear();  // (the sandbox's descriptors went with the image)
}

LinuxProcess::~LinuxProcess() {
    // The sandbox outlives this process: nothing of it is called from there.
    sandbox_.set_memory_admission(nullptr);
    memory_.set_copy_release(nullptr);
    descriptors_.close_all();
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
    stopped_in_host_call_ = false;
    ++syscall_counts_[std::min(args.nr, kSyscalls - 1)];
    int32_t result = [&] {
        HostSignalClaim::ServingCall serving(host_signals_);
        return entry ? (this->*entry->handler)(args) : fail(ENOSYS);
    }();
    if (options_.trace) {
        FileSizeLimitLifted lifted(*this);  // the trace file is the host's, not the guest's
        trace_syscall(options_.trace, memory_, tree_->self(), args, entry, result);
    }
    tree_->set_memory(sandbox_.finished() ? 0 : sandbox_.memory_in_use());  // for the others' memory limit
    // A limit reached: the guest never runs again (nor do its handlers).
    if (sandbox_.finished() || sandbox_.limit_exceeded()) return;
    if (stopped_in_host_call_) {  // made again, after run() has reported the stop (as Linux restarts calls)
        r.eax = args.nr;
        r.eip -= 2;  // back to the int $0x80
        return;
    }
    r.eax = uint32_t(result);
    // A sigreturn's result is the interrupted code's eax, which may well be
    // -EINTR: that is no interrupted call of its own.
    bool sigreturn = args.nr == nr::sigreturn || args.nr == nr::rt_sigreturn;
    deliver_pending_signals(result == -EINTR && !sigreturn ? int32_t(args.nr) : -1);
}

long LinuxProcess::blocking_call(long number, std::array<long, 6> a) const {
    long result = sandbox_.blocking_host_call(number, a[0], a[1], a[2], a[3], a[4], a[5]);
    if (result == -EINTR && sandbox_.stop_pending()) stopped_in_host_call_ = true;
    if (result < 0 && result > -4096) {
        errno = int(-result);
        return -1;
    }
    return result;
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

RunOutcome LinuxProcess::finish_run(RunOutcome outcome) {
    outcome.pid = tree_->self();
    outcome.usage = sandbox_.usage();
    for (uint32_t nr = 0; nr < syscall_counts_.size(); ++nr) {
        if (!syscall_counts_[nr]) continue;
        const SyscallEntry* entry = find_syscall(nr);
        outcome.syscalls.emplace_back(entry ? entry->name : "syscall_" + std::to_string(nr), syscall_counts_[nr]);
    }
    outcome.host_confinement = host_confinement_;
    if (options_.reporter) options_.reporter->process_ended(outcome);
    settle_with_tree();
    release_common_holdings();
    memory_.forget_copies();
    tree_->settle_sharing();
    if (forked_) end_host_process(outcome.exit_status);
    return outcome;
}

void LinuxProcess::confine_host() {
    if (!host_confinement_.empty()) return;
    std::vector<HostRule> rules;
    for (const Mount& mount : files_.mounts())
        rules.push_back({mount.host_path, mount.writable ? HostAccess::ReadWrite : HostAccess::ReadOnly});
    rules.push_back({"the synthetic directories", HostAccess::ReadOnly, files_.synthetic_directory()});
    rules.push_back({"/proc", HostAccess::ReadFilesOnly});  // /proc/PID/stat of the tree's processes
    if (private_tmp_) {
        const std::string& tmp = private_tmp_->host_path();
        rules.push_back({tmp.substr(0, std::max<size_t>(tmp.find_last_of('/'), 1)), HostAccess::RemoveDirsOnly});
    }
    const LandlockOutcome landlock = enter_landlock_domain(rules);
    std::vector<ExecutableRegion> executable;
    for (const HostRegion& region : sandbox_.host_regions())
        if (region.executable) executable.push_back({region.begin, region.size});
    install_host_filter(sandbox_.host_calls(), executable);
    host_confinement_ = "seccomp filter, " + describe(landlock);
    if (!landlock.missing.empty() && options_.reporter) options_.reporter->confinement_weakened(describe(landlock));
}

RunOutcome LinuxProcess::run() {
    if (options_.host_filter) confine_host();
    for (;;) {
        // Another process may have reached a limit: then this one stops too
        // (the first process is interrupted to look here).
        if (tree_->breach()) return stop_for_breach();
        Event event = sandbox_.run();
        switch (event.kind) {
        case EventKind::Syscall:
            service_syscall();
            break;
        case EventKind::Fault: {
            if (deliver_fault(event.fault)) break;
            if (tree_->breach()) return stop_for_breach();  // the tree's end came first
            end_host_file_size_limit();
            killed_by_ = signal_for(event.fault.kind);
            RunOutcome outcome = ended(Ending::Fault, 128 + killed_by_, killed_by_);
            outcome.fault = FaultReport{event.fault, sandbox_.describe_instruction(event.fault.eip)};
            return finish_run(std::move(outcome));
        }
        case EventKind::Exit:
            if (tree_->breach()) return stop_for_breach();
            end_host_file_size_limit();
            if (killed_by_)
                return finish_run(ended(Ending::KilledBySignal, event.exit_status, killed_by_));
            return finish_run(ended(Ending::Exited, event.exit_status));
        case EventKind::Interrupted:
            deliver_pending_signals(-1);
            break;
        case EventKind::LimitExceeded:
            if (continue_within_tree(event.limit_exceeded)) {  // a slice ran out; the tree had more
                // (The stop took any interrupt a caught signal asked for with it.)
                deliver_pending_signals(-1);
                break;
            }
            tree_->record_breach(event.limit_exceeded);
            return stop_for_breach(event.limit_exceeded);
        case EventKind::HostCall:  // made by Sandbox::call only: a program's run has no host functions
            throw Error("a program's run reported a host call (" + describe(event) + ")");
        }
    }
}

}  // namespace vx::os::linux_i386
