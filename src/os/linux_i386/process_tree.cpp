#include "os/linux_i386/process_tree.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "vx/error.h"

namespace vx::os::linux_i386 {
namespace {

constexpr int32_t kFirstPid = 1;
constexpr int32_t kMaxPid = 32768;  // guest pids wrap here, as Linux's default pid_max

// What /proc/PID/stat says of host process `pid`: its state, parent and
// start time (fields 3, 4 and 22); start_time 0 when it is gone.
struct HostProcess {
    char state = 0;
    pid_t parent = 0;
    uint64_t start_time = 0;
};

HostProcess read_host_process(pid_t pid) {
    HostProcess p;
    char path[32], text[1024];
    std::snprintf(path, sizeof path, "/proc/%d/stat", int(pid));
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return p;
    ssize_t n = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    if (n <= 0) return p;
    text[n] = 0;
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    const char* field = std::strrchr(text, ')');
    if (!field || std::sscanf(field + 1, " %c %d", &p.state, &p.parent) != 2) return p;
    for (int i = 2; field && i < 22; ++i) field = std::strchr(field + 1, ' ');
    p.start_time = field ? std::strtoull(field + 1, nullptr, 10) : 0;
    return p;
}

uint64_t start_time_of(pid_t pid) { return read_host_process(pid).start_time; }

}  // namespace

bool ProcessTree::is_alive(pid_t host, uint64_t start_time) const {
    if (host <= 0 || start_time == 0) return false;
    HostProcess p = read_host_process(host);
    if (p.start_time != start_time) return false;  // gone, or the pid is another process's now
    // A zombie that no member will reap is an orphan that died with its
    // parent (its new parent is outside the tree): gone for the guest. One
    // whose parent is a member waits for that parent's wait.
    return p.state != 'Z' || guest_pid(p.parent) != 0;
}

ProcessTree::ProcessTree(unsigned max_processes, uint32_t copy_runs) : capacity_(max_processes) {
    copy_runs_ = copy_runs;
    if (max_processes == 0) throw Error("a process tree needs room for at least one process");
    constexpr size_t kHeaderBytes = (sizeof(Header) + 63) / 64 * 64;
    const size_t slot_bytes = sizeof(Slot) * capacity_;
    const size_t common_bytes = sizeof(CommonPages) * capacity_ * kCommonPerProcess;
    copy_record_count_ = copy_runs_ ? std::min(capacity_ * kCommonPerProcess, kMaxCopyRecords) : 0;
    copy_record_bytes_ = (sizeof(CopyRecord) + sizeof(CopyRun) * copy_runs_ + 63) / 64 * 64;
    bytes_ = kHeaderBytes + slot_bytes + common_bytes + copy_record_bytes_ * copy_record_count_;
    // Shared, so that every process forked from here sees the same table.
    void* table = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED) throw Error(std::string("cannot make the process table: ") + strerror(errno));
    header_ = new (table) Header{{kFirstPid + 1}, {0}, {0}, {0}, {0}, {0}, {0}, 0, 0, 0, 0};
    slots_ = reinterpret_cast<Slot*>(static_cast<uint8_t*>(table) + kHeaderBytes);
    for (unsigned i = 0; i < capacity_; ++i) new (&slots_[i]) Slot{{0}, {0}, {0}, {0}, {0}, {0}, {0}, {0}};
    common_ = reinterpret_cast<CommonPages*>(static_cast<uint8_t*>(table) + kHeaderBytes + slot_bytes);
    for (unsigned i = 0; i < capacity_ * kCommonPerProcess; ++i) new (&common_[i]) CommonPages{{{0}, {0}}, {0}};
    // Fresh shared anonymous memory is zero: every copy record starts free.
    copy_records_ = static_cast<uint8_t*>(table) + kHeaderBytes + slot_bytes + common_bytes;
    self_slot_ = &slots_[0];
    slots_[0].parent = 0;
    slots_[0].group = kFirstPid;
    slots_[0].start_time = start_time_of(getpid());
    slots_[0].host = getpid();
    slots_[0].pid = kFirstPid;
}

ProcessTree::~ProcessTree() { munmap(header_, bytes_); }

void ProcessTree::set_memory(uint64_t bytes) {
    if (self_slot_) self_slot_->memory.store(bytes, std::memory_order_relaxed);
}

uint64_t ProcessTree::memory_of_others() const {
    uint64_t total = 0;
    for (unsigned i = 0; i < capacity_; ++i)
        if (&slots_[i] != self_slot_ && slots_[i].pid.load(std::memory_order_acquire) > 0)
            total += slots_[i].memory.load(std::memory_order_relaxed);
    return total + held_in_common() + shared_for_copy();
}

bool ProcessTree::Holders::drop(uint64_t bit) {
    // A member's bit goes once: by the member, or for it when it is reaped.
    if (bit && !(mask.fetch_and(~bit) & bit)) return false;
    return count.fetch_sub(1) == 1;
}

uint64_t ProcessTree::bit_of(const Slot& slot) const {
    const size_t index = size_t(&slot - slots_);
    return index < 64 ? uint64_t(1) << index : 0;
}

uint64_t ProcessTree::bit_of(int32_t pid) const {
    const Slot* slot = pid == self_ && self_slot_ ? self_slot_ : find(pid);
    return slot ? bit_of(*slot) : 0;
}

int32_t ProcessTree::hold_in_common(uint64_t bytes, int32_t child) {
    const uint64_t bits = bit_of(self_) | bit_of(child);
    for (unsigned i = 0; i < capacity_ * kCommonPerProcess; ++i) {
        uint32_t free = 0;
        if (!common_[i].holders.count.compare_exchange_strong(free, 2)) continue;
        common_[i].holders.mask.store(bits);
        common_[i].bytes.store(bytes);
        header_->held_in_common.fetch_add(bytes);
        return int32_t(i);
    }
    return -1;
}

void ProcessTree::add_holder(int32_t id, int32_t child) { common_[id].holders.add(bit_of(child)); }

void ProcessTree::drop_common(CommonPages& common, uint64_t bit) {
    const uint64_t bytes = common.bytes.load();  // while still held: once free, it may be someone else's
    if (common.holders.drop(bit)) header_->held_in_common.fetch_sub(bytes);
}

void ProcessTree::drop_holder(int32_t id, int32_t holder) { drop_common(common_[id], bit_of(holder)); }

ProcessTree::CopyRecord& ProcessTree::copy_record(int32_t id) const {
    return *reinterpret_cast<CopyRecord*>(copy_records_ + size_t(id) * copy_record_bytes_);
}

int32_t ProcessTree::take_copy_record() {
    for (unsigned i = 0; i < copy_record_count_; ++i) {
        uint32_t free = 0;
        if (copy_record(int32_t(i)).taken.compare_exchange_strong(free, 1)) return int32_t(i);
    }
    return -1;
}

void ProcessTree::share_for_copy(int32_t id, const std::vector<uint32_t>& pages_per_run, int32_t child) {
    CopyRecord& record = copy_record(id);
    const uint64_t bits = bit_of(self_) | bit_of(child);
    uint64_t pages = 0;
    uint32_t live = 0;
    record.ever.store(bits);
    for (uint32_t run = 0; run < copy_runs_; ++run) {
        const uint32_t here = run < pages_per_run.size() ? pages_per_run[run] : 0;
        record.runs[run].pages.store(here);
        record.runs[run].holders.mask.store(here ? bits : 0);
        record.runs[run].holders.count.store(here ? 2 : 0);
        pages += here;
        live += here != 0;
    }
    record.live_runs.store(live);
    if (live == 0) {
        record.taken.store(0);
        return;
    }
    header_->shared_for_copy.fetch_add(pages * 4096);
}

void ProcessTree::add_copy_holder(int32_t id, uint32_t run, int32_t child) {
    CopyRecord& record = copy_record(id);
    const uint64_t bit = bit_of(child);
    record.ever.fetch_or(bit);
    record.runs[run].holders.add(bit);
}

void ProcessTree::drop_copy_run(CopyRecord& record, uint32_t run, uint64_t bit) {
    const uint64_t bytes = uint64_t(record.runs[run].pages.load()) * 4096;  // while still held
    if (!record.runs[run].holders.drop(bit)) return;
    header_->shared_for_copy.fetch_sub(bytes);
    if (record.live_runs.fetch_sub(1) == 1) record.taken.store(0);
}

void ProcessTree::release_copy(int32_t id, uint32_t run, int32_t holder) {
    drop_copy_run(copy_record(id), run, bit_of(holder));
}

void ProcessTree::settle_sharing() {
    if (self_slot_) self_slot_->settled.store(1);
}

void ProcessTree::let_go_for(uint64_t bit) {
    if (!bit) return;
    for (unsigned i = 0; i < capacity_ * kCommonPerProcess; ++i)
        if (common_[i].holders.mask.load() & bit) drop_common(common_[i], bit);
    for (unsigned i = 0; i < copy_record_count_; ++i) {
        CopyRecord& record = copy_record(int32_t(i));
        if (!record.live_runs.load() || !(record.ever.load() & bit)) continue;
        for (uint32_t run = 0; run < copy_runs_; ++run)
            if (record.runs[run].holders.mask.load() & bit) drop_copy_run(record, run, bit);
    }
}

void ProcessTree::set_cpu(uint64_t ns) {
    if (self_slot_) self_slot_->cpu.store(ns, std::memory_order_relaxed);
}

uint64_t ProcessTree::cpu_total() const {
    uint64_t total = header_->cpu_of_departed.load();
    for (unsigned i = 0; i < capacity_; ++i)
        if (slots_[i].pid.load(std::memory_order_acquire) > 0) total += slots_[i].cpu.load(std::memory_order_relaxed);
    return total;
}

unsigned ProcessTree::live_count() const {
    unsigned live = 0;
    for (unsigned i = 0; i < capacity_; ++i) live += slots_[i].pid.load(std::memory_order_acquire) != 0;
    return live;
}

bool ProcessTree::record_breach(const LimitExceeded& limit) {
    uint32_t none = 0;
    if (!header_->breach_state.compare_exchange_strong(none, 1)) return false;
    header_->breach_pid = self_;
    header_->breach_limit = uint32_t(limit.limit);
    header_->breach_used = limit.used;
    header_->breach_maximum = limit.maximum;
    header_->breach_state.store(2, std::memory_order_release);
    return true;
}

std::optional<ProcessTree::Breach> ProcessTree::breach() const {
    uint32_t state = header_->breach_state.load(std::memory_order_acquire);
    // Being written: a few stores away, unless its writer died on the way.
    for (int spins = 0; state == 1 && spins < 1000; ++spins) {
        sched_yield();
        state = header_->breach_state.load(std::memory_order_acquire);
    }
    if (state != 2) return std::nullopt;
    return Breach{header_->breach_pid,
                  {Limit(header_->breach_limit), header_->breach_used, header_->breach_maximum}};
}

void ProcessTree::forget(Slot& slot) {
    // Killed from outside, it could not say it let go of what it shared.
    if (!slot.settled.load()) let_go_for(bit_of(slot));
    // Counted in the departed before it leaves the slot: the total never
    // misses it (for a moment it may count it twice).
    header_->cpu_of_departed.fetch_add(slot.cpu.load());
    slot.host = 0;
    slot.cpu = 0;
    slot.pid.store(0, std::memory_order_release);
}

ProcessTree::Slot* ProcessTree::find(int32_t pid) const {
    if (pid <= 0) return nullptr;
    for (unsigned i = 0; i < capacity_; ++i)
        if (slots_[i].pid.load(std::memory_order_acquire) == pid) return &slots_[i];
    return nullptr;
}

int32_t ProcessTree::parent_of(int32_t pid) const {
    Slot* s = find(pid);
    return s ? s->parent.load() : 0;
}

int32_t ProcessTree::group_of(int32_t pid) const {
    Slot* s = find(pid);
    return s ? s->group.load() : 0;
}

pid_t ProcessTree::host_pid(int32_t pid) const {
    Slot* s = find(pid);
    return s ? s->host.load() : 0;
}

int32_t ProcessTree::guest_pid(pid_t host) const {
    if (host <= 0) return 0;
    for (unsigned i = 0; i < capacity_; ++i)
        if (slots_[i].host.load(std::memory_order_acquire) == host) return slots_[i].pid.load();
    return 0;
}

void ProcessTree::reclaim_dead() {
    for (unsigned i = 0; i < capacity_; ++i) {
        pid_t host = slots_[i].host.load();
        // A zombie keeps its start time, so an unreaped child keeps its slot.
        if (host > 0 && !is_alive(host, slots_[i].start_time.load())) forget(slots_[i]);
    }
}

int32_t ProcessTree::reserve_child(uint64_t memory) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        for (unsigned i = 0; i < capacity_; ++i) {
            int32_t expected = 0;
            int32_t reserving = -1;  // a slot being filled in: neither free nor visible
            if (!slots_[i].pid.compare_exchange_strong(expected, reserving)) continue;
            int32_t pid;
            do {
                pid = header_->next_pid.fetch_add(1);
                if (pid >= kMaxPid) {
                    int32_t wrapped = pid + 1;
                    header_->next_pid.compare_exchange_strong(wrapped, kFirstPid + 1);
                    continue;
                }
            } while (pid >= kMaxPid || find(pid));
            slots_[i].host = 0;
            slots_[i].start_time = 0;
            slots_[i].memory = memory;
            slots_[i].cpu = 0;
            slots_[i].settled = 0;
            slots_[i].parent = self_;
            slots_[i].group = group_of(self_);
            slots_[i].pid.store(pid, std::memory_order_release);
            return pid;
        }
        reclaim_dead();
    }
    return -EAGAIN;
}

void ProcessTree::charge(int32_t pid, uint64_t memory) {
    if (Slot* s = find(pid)) s->memory.store(memory);
}

void ProcessTree::become(int32_t pid) {
    self_ = pid;
    self_slot_ = find(pid);
    if (Slot* s = self_slot_) {
        s->start_time = start_time_of(getpid());
        s->host = getpid();
    }
}

void ProcessTree::started(int32_t pid, pid_t host) {
    if (Slot* s = find(pid)) {
        s->start_time = start_time_of(host);  // the child exists, if only as a zombie
        s->host = host;
    }
}

int32_t ProcessTree::signal(int32_t pid, int signo) const { return send(pid, signo, nullptr); }

int32_t ProcessTree::queue_signal(int32_t pid, int signo, int value) const {
    siginfo_t info;
    std::memset(&info, 0, sizeof info);
    info.si_signo = signo;
    info.si_code = SI_QUEUE;
    info.si_pid = getpid();
    info.si_uid = getuid();
    info.si_value.sival_int = value;
    return send(pid, signo, &info);
}

int32_t ProcessTree::send(int32_t pid, int signo, const siginfo_t* info) const {
    Slot* s = find(pid);
    if (!s) return -ESRCH;
    const pid_t host = s->host.load();
    const uint64_t started_at = s->start_time.load();
    if (host <= 0 || started_at == 0) return -ESRCH;
    // Held from here, the pidfd names that process even if the pid is reused.
    int pidfd = int(syscall(SYS_pidfd_open, host, 0));
    if (pidfd < 0) return -ESRCH;
    int32_t result = -ESRCH;
    if (is_alive(host, started_at))
        result = syscall(SYS_pidfd_send_signal, pidfd, signo, info, 0) == 0 ? 0 : -errno;
    ::close(pidfd);
    return result;
}

void ProcessTree::release(int32_t pid) {
    if (Slot* s = find(pid)) forget(*s);
}

int32_t ProcessTree::set_group(int32_t pid, int32_t group) {
    if (pid == 0) pid = self_;
    if (group == 0) group = pid;
    if (group < 0) return -EINVAL;
    Slot* s = find(pid);
    if (!s || (pid != self_ && s->parent != self_)) return -ESRCH;
    s->group = group;
    return 0;
}

}  // namespace vx::os::linux_i386
