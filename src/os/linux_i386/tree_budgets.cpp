#include "os/linux_i386/tree_budgets.h"

#include <algorithm>

namespace vx::os::linux_i386 {

uint64_t TreeBudgets::own_cpu_time(uint64_t sandbox_cpu) const {
    return sandbox_cpu > cpu_inherited_ ? sandbox_cpu - cpu_inherited_ : 0;
}

std::optional<uint64_t> TreeBudgets::cpu_slice(uint64_t tree_used, unsigned live) const {
    if (tree_used >= *cpu_ns_) return std::nullopt;
    const uint64_t left = *cpu_ns_ - tree_used;
    return live <= 1 ? left : std::max(left / (2 * live), std::min(left, kMinCpuSliceNs));
}

uint64_t TreeBudgets::fuel_slice(uint64_t available, unsigned live) const {
    if (live <= 1) return available;
    return std::max(std::min(available / (2 * live), *fuel_ / (kFuelSliceShare * live)),
                    std::min(available, kMinFuelSlice));
}

}  // namespace vx::os::linux_i386
