#include "core/fork_generation.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace vx {
namespace {

std::atomic<uint64_t> generation{0};

void in_child() { generation.fetch_add(1, std::memory_order_relaxed); }

}  // namespace

uint64_t fork_generation() {
    static const bool counted = [] { return pthread_atfork(nullptr, nullptr, in_child) == 0; }();
    // (Refused, ENOMEM: the process id tells a child, at a system call's cost.)
    if (!counted) [[unlikely]] return uint64_t(getpid()) << 32;
    return generation.load(std::memory_order_relaxed);
}

}  // namespace vx
