#include "os/linux_i386/process_tree.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <new>
#include <string>

#include "vx/error.h"

namespace vx::os::linux_i386 {
namespace {

constexpr int32_t kFirstPid = 1;
constexpr int32_t kMaxPid = 32768;  // guest pids wrap here, as Linux's default pid_max

}  // namespace

ProcessTree::ProcessTree(unsigned max_processes) : capacity_(max_processes) {
    if (max_processes == 0) throw Error("a process tree needs room for at least one process");
    bytes_ = sizeof(std::atomic<int32_t>) * 16 + sizeof(Slot) * capacity_;
    // Shared, so that every process forked from here sees the same table.
    void* table = mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED) throw Error(std::string("cannot make the process table: ") + strerror(errno));
    next_pid_ = new (table) std::atomic<int32_t>(kFirstPid + 1);
    slots_ = reinterpret_cast<Slot*>(static_cast<uint8_t*>(table) + sizeof(std::atomic<int32_t>) * 16);
    for (unsigned i = 0; i < capacity_; ++i) new (&slots_[i]) Slot{{0}, {0}, {0}, {0}};
    slots_[0].parent = 0;
    slots_[0].group = kFirstPid;
    slots_[0].host = getpid();
    slots_[0].pid = kFirstPid;
}

ProcessTree::~ProcessTree() { munmap(next_pid_, bytes_); }

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
        if (host > 0 && kill(host, 0) != 0 && errno == ESRCH) {
            slots_[i].host = 0;
            slots_[i].pid = 0;
        }
    }
}

int32_t ProcessTree::reserve_child() {
    for (int attempt = 0; attempt < 2; ++attempt) {
        for (unsigned i = 0; i < capacity_; ++i) {
            int32_t expected = 0;
            int32_t reserving = -1;  // a slot being filled in: neither free nor visible
            if (!slots_[i].pid.compare_exchange_strong(expected, reserving)) continue;
            int32_t pid;
            do {
                pid = next_pid_->fetch_add(1);
                if (pid >= kMaxPid) {
                    int32_t wrapped = pid + 1;
                    next_pid_->compare_exchange_strong(wrapped, kFirstPid + 1);
                    continue;
                }
            } while (pid >= kMaxPid || find(pid));
            slots_[i].host = 0;
            slots_[i].parent = self_;
            slots_[i].group = group_of(self_);
            slots_[i].pid.store(pid, std::memory_order_release);
            return pid;
        }
        reclaim_dead();
    }
    return -EAGAIN;
}

void ProcessTree::become(int32_t pid) {
    self_ = pid;
    if (Slot* s = find(pid)) s->host = getpid();
}

void ProcessTree::started(int32_t pid, pid_t host) {
    if (Slot* s = find(pid)) s->host = host;
}

void ProcessTree::release(int32_t pid) {
    if (Slot* s = find(pid)) {
        s->host = 0;
        s->pid.store(0, std::memory_order_release);
    }
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
