#pragma once
// The guest processes of one sandboxed program and its descendants: each is a
// host process (a guest fork is a host fork), and this table, in memory that
// every one of them shares, gives them the pids they see of each other. A
// guest can name, signal and wait for the processes in its own tree only.
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <vector>

#include "vx/limits.h"

namespace vx::os::linux_i386 {

class ProcessTree {
public:
    // The calling host process becomes the tree's first process, guest pid 1.
    // `copy_runs`: how many runs of copy-on-write pages a member's memory has
    // (see share_for_copy). Throws vx::Error when the shared table cannot be
    // made.
    explicit ProcessTree(unsigned max_processes, uint32_t copy_runs = 0);
    ~ProcessTree();
    ProcessTree(const ProcessTree&) = delete;
    ProcessTree& operator=(const ProcessTree&) = delete;

    int32_t self() const { return self_; }
    int32_t parent_of(int32_t pid) const;   // 0 for the first process or an unknown pid
    int32_t group_of(int32_t pid) const;    // 0 for an unknown pid
    pid_t host_pid(int32_t pid) const;      // 0 when pid is not a live member
    int32_t guest_pid(pid_t host) const;    // 0 when host is not a member

    // Before a fork: a pid for the child of the calling process, or -EAGAIN
    // when the tree is full. The child is charged `memory` bytes (what the
    // fork duplicates) until it says what it costs itself.
    int32_t reserve_child(uint64_t memory = 0);
    void charge(int32_t pid, uint64_t memory);  // what a reserved child is charged, from now
    // After it: in the child, adopt the reserved pid; in the parent, record the
    // child's host pid (or give the pid back if the fork failed).
    void become(int32_t pid);
    void started(int32_t pid, pid_t host);
    void release(int32_t pid);  // reaped, or never started

    // Sends `signo` to member `pid`: 0 or -errno (ESRCH for a pid outside the
    // tree, or one that has died). The host pid is checked to still be the
    // member's (its start time) through a pidfd, so a pid the host has reused
    // for a process outside the tree is never signalled.
    int32_t signal(int32_t pid, int signo) const;
    // The same, as sigqueue sends it: with `value`, code SI_QUEUE.
    int32_t queue_signal(int32_t pid, int signo, int value) const;

    // setpgid: 0 or -errno (ESRCH for a pid outside the tree).
    int32_t set_group(int32_t pid, int32_t group);

    // Bytes the whole tree has written to descriptors (the output limit
    // holds for all its processes together, across execve).
    std::atomic<uint64_t>& output_written() const { return header_->output_written; }
    // The memory each member costs the host, as it last said (the memory
    // limit holds for the tree together): this process's, and the others'.
    void set_memory(uint64_t bytes);
    // All the tree costs but this process's own count: the others', and the
    // pages held in common.
    uint64_t memory_of_others() const;

    // What a fork leaves shared is counted once for the tree for as long as
    // one member still shares it. The sharers are this process and `child`
    // (a pid reserve_child gave); each member says when it lets go (and for
    // one killed from outside, the process that reaps it does: see
    // release). drop_* with `child` undoes a fork that did not happen.
    //
    // Pages held in common (GuestMemory::hold_common_pages: one host copy):
    // hold_in_common records their bytes, an id, or -1 when the table has no
    // room (then each member counts them as its own).
    int32_t hold_in_common(uint64_t bytes, int32_t child);
    void add_holder(int32_t id, int32_t child);
    void drop_holder(int32_t id, int32_t holder);
    uint64_t held_in_common() const { return header_->held_in_common.load(std::memory_order_relaxed); }
    // Private writable pages left for copy-on-write
    // (GuestMemory::mark_copy_pending): the host keeps one copy of each run
    // until each sharer has written it (then it has a copy of its own,
    // counted as its own) or let go of it. take_copy_record: an id (its pages
    // not marked yet), or -1 when the table has no room; share_for_copy then
    // records the pages marked in each run (none: the record is free again).
    int32_t take_copy_record();
    void share_for_copy(int32_t id, const std::vector<uint32_t>& pages_per_run, int32_t child);
    void add_copy_holder(int32_t id, uint32_t run, int32_t child);
    void release_copy(int32_t id, uint32_t run, int32_t holder);
    uint64_t shared_for_copy() const { return header_->shared_for_copy.load(std::memory_order_relaxed); }
    // This process has let go of everything it shared (it is ending).
    void settle_sharing();

    // CPU time the tree has used: each member publishes its own (set_cpu);
    // that of members reaped or gone is kept in the total.
    void set_cpu(uint64_t ns);
    uint64_t cpu_total() const;
    // Members alive or reserved (those that may still run guest code).
    unsigned live_count() const;

    // Fuel (guest instructions) no member holds: a member gives back what it
    // has not spent before it forks and when it ends, and draws from here
    // when its own runs out.
    std::atomic<uint64_t>& fuel_pool() const { return header_->fuel_pool; }

    // The first limit any member reached (the whole tree stops for it), and
    // which member reached it. record_breach is true for the first only.
    struct Breach {
        int32_t pid;
        LimitExceeded limit;
    };
    bool record_breach(const LimitExceeded& limit);
    std::optional<Breach> breach() const;

    // Calls f(pid) for every started member.
    template <typename F>
    void for_each(F f) const {
        for (unsigned i = 0; i < capacity_; ++i) {
            int32_t pid = slots_[i].pid.load(std::memory_order_acquire);
            if (pid > 0 && slots_[i].host.load(std::memory_order_acquire) > 0) f(pid);
        }
    }

private:
    struct Slot {
        std::atomic<int32_t> pid;     // 0: free
        std::atomic<pid_t> host;      // 0: reserved, not started yet
        std::atomic<int32_t> parent;
        std::atomic<int32_t> group;
        std::atomic<uint64_t> start_time;  // of the host process, in clock ticks since boot
        std::atomic<uint64_t> memory;      // bytes, see set_memory
        std::atomic<uint64_t> cpu;         // ns, see set_cpu
        std::atomic<uint32_t> settled;     // it let go of what it shared (settle_sharing)
    };
    // Which members share something: how many, and which of the first 64
    // slots, so that what a member killed from outside shared can be let go
    // of for it when it is reaped (members in later slots only count).
    struct Holders {
        std::atomic<uint32_t> count;  // 0: nobody
        std::atomic<uint64_t> mask;
        void add(uint64_t bit) {
            mask.fetch_or(bit);
            count.fetch_add(1);
        }
        bool drop(uint64_t bit);  // true when it was the last
    };
    struct CommonPages {
        Holders holders;
        std::atomic<uint64_t> bytes;
    };
    // Room for pages held in common: each fork adds at most one record, and
    // a member holds few (those of the forks since its last execve).
    static constexpr unsigned kCommonPerProcess = 4;
    struct CopyRun {
        Holders holders;
        std::atomic<uint32_t> pages;
    };
    struct CopyRecord {
        std::atomic<uint32_t> live_runs;  // runs with holders; 0: the record is free
        std::atomic<uint32_t> taken;      // being filled in, or live
        std::atomic<uint64_t> ever;       // the slot bits of every member that shared a run
        CopyRun runs[];
    };
    CopyRecord& copy_record(int32_t id) const;
    static constexpr unsigned kMaxCopyRecords = 1024;
    uint64_t bit_of(int32_t pid) const;  // the member's slot bit, 0 beyond the 64th slot
    uint64_t bit_of(const Slot& slot) const;
    void drop_common(CommonPages& common, uint64_t bit);
    void drop_copy_run(CopyRecord& record, uint32_t run, uint64_t bit);
    // What a member that did not settle (killed from outside) still shared.
    void let_go_for(uint64_t bit);
    // Before the slots, in the same shared mapping.
    struct Header {
        std::atomic<int32_t> next_pid;
        std::atomic<uint64_t> output_written;
        std::atomic<uint64_t> fuel_pool;
        std::atomic<uint64_t> cpu_of_departed;  // ns: members released, and the CPU they used
        std::atomic<uint64_t> held_in_common;   // bytes, the sum of the live CommonPages
        std::atomic<uint64_t> shared_for_copy;  // bytes, the runs of CopyRecords with holders
        std::atomic<uint32_t> breach_state;     // 0: none; 1: being written; 2: written
        int32_t breach_pid;
        uint32_t breach_limit;
        uint64_t breach_used, breach_maximum;
    };
    void forget(Slot& slot);  // the slot is free again; its CPU stays in the total
    Slot* find(int32_t pid) const;
    void reclaim_dead();  // slots of members that died unreaped (their parent died first)
    bool is_alive(pid_t host, uint64_t start_time) const;
    int32_t send(int32_t pid, int signo, const siginfo_t* info) const;

    Slot* slots_ = nullptr;
    CommonPages* common_ = nullptr;  // capacity_ * kCommonPerProcess of them
    uint8_t* copy_records_ = nullptr;
    unsigned copy_record_count_ = 0;
    uint32_t copy_runs_ = 0;
    size_t copy_record_bytes_ = 0;
    Header* header_ = nullptr;
    unsigned capacity_ = 0;
    size_t bytes_ = 0;
    int32_t self_ = 1;
    Slot* self_slot_ = nullptr;
};

}  // namespace vx::os::linux_i386
