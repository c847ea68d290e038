#pragma once
// What a sandbox made from a snapshot leaves behind when it is destroyed, for
// the next one made from that snapshot (Snapshot::keep_sandboxes): its guest
// memory and its engine, reset to the snapshot, with their host memory mapped
// and touched and the snapshot's code translated. See docs/snapshots.md,
// "Kept sandboxes".
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/engine.h"
#include "vx/guest_memory.h"
#include "vx/sandbox.h"
#include "vx/segment_descriptors.h"

namespace vx {

struct KeptSandbox {
    SandboxOptions made_with;  // what the engine and memory were made for
    std::unique_ptr<GuestMemory> memory;
    std::unique_ptr<Engine> engine;  // (declared after memory, so destroyed first: it refers to it)
    // The engine's, as the sandbox last set them.
    SegmentDescriptors descriptors;
    FlatSelectors selectors;
    uint64_t fork_generation = 0;  // of the process it was kept in (give sets it)
};

// Thread-safe: sandboxes are made from one snapshot and destroyed on any
// thread at once.
class KeptSandboxes {
public:
    void set_max(size_t max);
    size_t max() const;
    size_t size();
    // One made with exactly `options`, if one is kept.
    std::optional<KeptSandbox> take(const SandboxOptions& options);
    // Whether one more would be kept now (give() checks again).
    bool wants_one() { return size() < max(); }
    // Kept, unless `max` are already: then it is destroyed (outside the lock).
    void give(KeptSandbox&& kept);

private:
    // Those kept before this process was forked, out (their code caches
    // are the parent's too): the caller destroys them outside the lock.
    std::vector<KeptSandbox> take_stale();
    mutable std::mutex lock_;
    size_t max_ = 0;
    std::vector<KeptSandbox> kept_;
};

}  // namespace vx
