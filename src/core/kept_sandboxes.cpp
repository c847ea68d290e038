#include "core/kept_sandboxes.h"

#include <utility>

#include "core/fork_generation.h"

namespace vx {

void KeptSandboxes::set_max(size_t max) {
    std::vector<KeptSandbox> dropped;  // destroyed outside the lock: each unmaps much
    std::lock_guard<std::mutex> guard(lock_);
    max_ = max;
    while (kept_.size() > max_) {
        dropped.push_back(std::move(kept_.back()));
        kept_.pop_back();
    }
}

size_t KeptSandboxes::max() const {
    std::lock_guard<std::mutex> guard(lock_);
    return max_;
}

std::vector<KeptSandbox> KeptSandboxes::take_stale() { return take_kept_elsewhere(kept_); }

size_t KeptSandboxes::size() {
    std::vector<KeptSandbox> stale;
    std::lock_guard<std::mutex> guard(lock_);
    stale = take_stale();
    return kept_.size();
}

std::optional<KeptSandbox> KeptSandboxes::take(const SandboxOptions& options) {
    std::vector<KeptSandbox> stale;
    std::lock_guard<std::mutex> guard(lock_);
    stale = take_stale();
    for (auto it = kept_.rbegin(); it != kept_.rend(); ++it)
        if (it->made_with == options) {
            KeptSandbox taken = std::move(*it);
            kept_.erase(std::next(it).base());
            return taken;
        }
    return std::nullopt;
}

void KeptSandboxes::give(KeptSandbox&& kept) {
    KeptSandbox dropped;
    std::vector<KeptSandbox> stale;
    std::lock_guard<std::mutex> guard(lock_);
    stale = take_stale();
    kept.fork_generation = fork_generation();
    if (kept_.size() < max_) kept_.push_back(std::move(kept));
    else dropped = std::move(kept);
}

}  // namespace vx
