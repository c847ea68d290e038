// Limits that hold for the whole process tree, not for each process: CPU
// time and fuel shared out in slices, a breach anywhere ending every process
// with one line from the first, and the file-size limit held by the kernel
// (RLIMIT_FSIZE). See docs/resource-limits.md.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <ctime>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {
namespace {

// How a process that reached a limit asks the first one to stop: every 10 ms
// for up to 5 s, until the first process ends it.
constexpr int kStopAttempts = 500;
constexpr long kStopRetryNs = 10'000'000;

}  // namespace

void LinuxProcess::limit_host_file_size() {
    if (!options_.own_host_process || !options_.max_file_size) return;
    struct rlimit host;
    if (!host_file_size_) {
        if (getrlimit(RLIMIT_FSIZE, &host) != 0) return;
        host_file_size_ = host;
    }
    host = *host_file_size_;
    rlim_t limit = rlim_t(*options_.max_file_size);
    if (host.rlim_max == RLIM_INFINITY || limit < host.rlim_max) host.rlim_cur = limit;
    setrlimit(RLIMIT_FSIZE, &host);
}

void LinuxProcess::end_host_file_size_limit() {
    if (host_file_size_) setrlimit(RLIMIT_FSIZE, &*host_file_size_);
    host_file_size_.reset();
}

void LinuxProcess::check_file_size_after(int host, ssize_t written, uint64_t requested) {
    if (!host_file_size_) return;
    if (written < 0) {
        if (errno != EFBIG) return;
        sandbox_.exceed({Limit::FileSize, *options_.max_file_size + requested, *options_.max_file_size});
        return;
    }
    if (uint64_t(written) >= requested) return;
    struct stat st;
    if (::fstat(host, &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) >= *options_.max_file_size)
        sandbox_.exceed({Limit::FileSize, uint64_t(st.st_size) + (requested - uint64_t(written)),
                         *options_.max_file_size});
}

bool LinuxProcess::take_cpu_slice() {
    if (!budgets_.cpu_ns()) return true;
    const uint64_t used = sandbox_.usage().cpu_time_ns;
    tree_->set_cpu(budgets_.own_cpu_time(used));
    const std::optional<uint64_t> slice = budgets_.cpu_slice(tree_->cpu_total(), tree_->live_count());
    if (!slice) {
        sandbox_.set_cpu_time_limit(used);  // none left: it stops at once (after a fork, too)
        return false;
    }
    sandbox_.set_cpu_time_limit(used + *slice);
    return true;
}

bool LinuxProcess::draw_fuel() {
    std::atomic<uint64_t>& pool = tree_->fuel_pool();
    uint64_t available = pool.load();
    while (available) {
        const uint64_t slice = budgets_.fuel_slice(available, tree_->live_count());
        if (pool.compare_exchange_weak(available, available - slice)) {
            sandbox_.add_fuel(slice);
            return true;
        }
    }
    return false;
}

void LinuxProcess::settle_with_tree() {
    if (budgets_.cpu_ns()) tree_->set_cpu(budgets_.own_cpu_time(sandbox_.usage().cpu_time_ns));
    if (budgets_.fuel()) tree_->fuel_pool().fetch_add(sandbox_.take_fuel());
}

void LinuxProcess::hold_common_pages_with_child(int32_t child) {
    for (int32_t id : common_holdings_) tree_->add_holder(id, child);
    if (const uint64_t common = memory_.common_bytes()) {
        const int32_t id = tree_->hold_in_common(common, child);
        if (id >= 0) {
            memory_.hold_common_pages();
            common_holdings_.push_back(id);
        }
    }
}

void LinuxProcess::share_copies_with_child(int32_t child) {
    for (const auto& [id, run] : memory_.pending_copies()) tree_->add_copy_holder(id, run, child);
    const int32_t id = tree_->take_copy_record();
    if (id < 0) return;  // no room: the child is charged these pages as its own
    tree_->share_for_copy(id, memory_.mark_copy_pending(uint16_t(id)), child);
}

void LinuxProcess::unshare_with_child(int32_t child) {
    for (int32_t id : common_holdings_) tree_->drop_holder(id, child);
    for (const auto& [id, run] : memory_.pending_copies()) tree_->release_copy(id, run, child);
}

void LinuxProcess::release_common_holdings() {
    for (int32_t id : common_holdings_) tree_->drop_holder(id, tree_->self());
    common_holdings_.clear();
}

bool LinuxProcess::continue_within_tree(LimitExceeded& limit) {
    if (limit.limit == Limit::CpuTime && budgets_.cpu_ns()) {
        if (take_cpu_slice()) return true;
        limit = {Limit::CpuTime, tree_->cpu_total(), *budgets_.cpu_ns()};
        return false;
    }
    if (limit.limit == Limit::Instructions && budgets_.fuel()) {
        if (draw_fuel()) return true;
        limit = {Limit::Instructions, *budgets_.fuel(), *budgets_.fuel()};
        return false;
    }
    return false;
}

RunOutcome LinuxProcess::stop_for_breach(std::optional<LimitExceeded> own) {
    settle_with_tree();
    killed_by_ = SIGKILL;
    RunOutcome outcome = ended(Ending::LimitReached, 128 + SIGKILL, SIGKILL);
    if (forked_) {
        // The first process names it in its outcome and ends the tree (this
        // one too). It looks at the table each time it comes back to run its
        // guest; the signal stops its guest code or breaks its blocking call,
        // and is repeated in case it came just before one.
        const InterruptSignal stop = Sandbox::interrupt_signal();
        for (int attempt = 0; attempt < kStopAttempts && tree_->queue_signal(1, stop.signo, stop.value) == 0; ++attempt) {
            const struct timespec pause{0, kStopRetryNs};
            nanosleep(&pause, nullptr);
        }
        if (std::optional<ProcessTree::Breach> breach = tree_->breach())
            outcome.limit = LimitReport{breach->limit, breach->pid};
        else if (own)
            outcome.limit = LimitReport{*own, tree_->self()};
        return finish_run(std::move(outcome));
    }
    tree_->for_each([&](int32_t member) {
        if (member != tree_->self()) tree_->signal(member, SIGKILL);
    });
    end_host_file_size_limit();  // what the host says of the run is not the guest's writing
    // (Another process may still be writing the first breach down, or have
    // died doing so: then this process's own is the one named.)
    std::optional<ProcessTree::Breach> breach = tree_->breach();
    if (!breach) breach = ProcessTree::Breach{tree_->self(), own.value_or(LimitExceeded{})};
    outcome.limit = LimitReport{breach->limit, breach->pid};
    return finish_run(std::move(outcome));
}

}  // namespace vx::os::linux_i386
