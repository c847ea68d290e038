#pragma once
// The CPU time and fuel the whole process tree may use, shared out among its
// processes in slices (docs/resource-limits.md): how big a slice a
// process's sandbox gets of what the tree has left, and which part of its
// sandbox's CPU count is its own. Only the arithmetic lives here; what the
// tree has left (ProcessTree) and the sandbox's limits are LinuxProcess's
// (tree_limits.cpp).
#include <cstdint>
#include <optional>

namespace vx::os::linux_i386 {

class TreeBudgets {
public:
    // The least a slice gives, so that a process does not come back for more
    // after every few instructions; beyond what the tree has left it gives
    // nothing, and the overshoot of a tree is at most a slice a process.
    static constexpr uint64_t kMinCpuSliceNs = 1'000'000;
    static constexpr uint64_t kMinFuelSlice = 1u << 14;
    // A process holding fuel it does not spend (blocked, not scheduled) keeps
    // it from the others: a slice is at most this share of the budget a
    // process.
    static constexpr uint64_t kFuelSliceShare = 32;

    // The tree's budgets, the first process's sandbox limits (none: no limit).
    void hold(std::optional<uint64_t> cpu_ns, std::optional<uint64_t> fuel) {
        cpu_ns_ = cpu_ns;
        fuel_ = fuel;
    }
    const std::optional<uint64_t>& cpu_ns() const { return cpu_ns_; }
    const std::optional<uint64_t>& fuel() const { return fuel_; }

    // A forked child's sandbox counts on from its parent's CPU time
    // (`sandbox_cpu` at the fork): that part is not the child's own.
    void inherit_cpu(uint64_t sandbox_cpu) { cpu_inherited_ = sandbox_cpu; }
    uint64_t own_cpu_time(uint64_t sandbox_cpu) const;

    // The CPU slice a process gets when the tree has used `tree_used` ns and
    // `live` processes run: alone, the whole remainder (as for a process
    // that never forks); else a share that leaves the others as much. None
    // when the tree has none left. (Only with a CPU budget.)
    std::optional<uint64_t> cpu_slice(uint64_t tree_used, unsigned live) const;
    // The fuel slice a process draws from the tree's pool holding
    // `available`, with `live` processes: the same shares, and at most
    // 1/kFuelSliceShare of the budget a process. (Only with a fuel budget.)
    uint64_t fuel_slice(uint64_t available, unsigned live) const;

private:
    std::optional<uint64_t> cpu_ns_;  // for the whole tree (the sandbox's limit is a slice)
    std::optional<uint64_t> fuel_;    // instructions, for the whole tree
    uint64_t cpu_inherited_ = 0;      // the sandbox's CPU count when this process was forked
};

}  // namespace vx::os::linux_i386
