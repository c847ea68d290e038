#pragma once
// How many fork()s this process is the child of, counted by a pthread_atfork
// handler: host memory shared with the parent (a code cache's memfd, mapped
// MAP_SHARED) is the parent's too in a child, so what a process keeps for
// later (a snapshot's kept sandboxes, a pool's idle ones) must not be handed
// out in another.
#include <cstdint>

namespace vx {

uint64_t fork_generation();

}  // namespace vx
