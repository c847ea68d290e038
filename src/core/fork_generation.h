#pragma once
// How many fork()s this process is the child of, counted by a pthread_atfork
// handler: host memory shared with the parent (a code cache's memfd, mapped
// MAP_SHARED) is the parent's too in a child, so what a process keeps for
// later (a snapshot's kept sandboxes, a pool's idle ones) must not be handed
// out in another.
#include <cstdint>
#include <utility>
#include <vector>

namespace vx {

uint64_t fork_generation();

// The elements of `kept` (each with the fork_generation it was kept in)
// kept before this process was forked, moved out for the caller to destroy.
template <class Kept>
std::vector<Kept> take_kept_elsewhere(std::vector<Kept>& kept) {
    std::vector<Kept> elsewhere;
    if (kept.empty()) return elsewhere;
    const uint64_t now = fork_generation();
    for (auto it = kept.begin(); it != kept.end();)
        if (it->fork_generation != now) {
            elsewhere.push_back(std::move(*it));
            it = kept.erase(it);
        } else {
            ++it;
        }
    return elsewhere;
}

}  // namespace vx
