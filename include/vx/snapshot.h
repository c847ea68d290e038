#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "vx/cpu_state.h"
#include "vx/sandbox.h"
#include "vx/segment_descriptors.h"

namespace vx {

struct MemoryImage;
class KeptSandboxes;

// An immutable image of one sandbox's guest at a point where it was not
// running (Sandbox::snapshot): its memory (contents, page permissions, the
// stack's grow-down region), registers, XSAVE extended state, %fs and %gs,
// the segment descriptors, the exit status if it had finished, and the fuel
// it had left. Restoring it
// (Sandbox::restore, or a Sandbox made from it) gives a sandbox that runs on
// from there as the original would. Memory is copy-on-write: restored
// sandboxes map the snapshot's pages and copy only those they write, so a
// snapshot may be restored into many sandboxes, at once and from several
// threads, and nothing they do changes it. It holds no host state of a
// personality (descriptors, signal handlers, the program break...): whoever
// drives the sandbox keeps that beside it. See docs/snapshots.md.
// Opens and probes /proc/self/pagemap now, which restores otherwise do on
// first use (a restore copies back only the pages a guest wrote, found
// there): for a host that confines itself (seccomp) before its first restore,
// which then needs only pread64 of it, not openat and memfd_create. Once per
// process (a forked child opens its own again when it restores).
void prepare_restores();

class Snapshot : public std::enable_shared_from_this<Snapshot> {
public:
    ~Snapshot();
    Snapshot(const Snapshot&) = delete;
    Snapshot& operator=(const Snapshot&) = delete;

    // The options of the sandbox it was taken from (a Sandbox made from the
    // snapshot has them unless given others).
    const SandboxOptions& options() const { return options_; }
    uint64_t memory_size() const { return options_.memory_size; }
    const CpuState& cpu() const { return cpu_; }
    // An i386 guest's registers (cpu().i386(): throws Error for another arch).
    const Registers& registers() const { return cpu_.i386(); }
    const std::vector<uint8_t>& extended_state() const { return extended_state_; }
    Segment segment(SegmentRegister segment) const { return segment == SegmentRegister::fs ? fs_ : gs_; }
    const SegmentDescriptors& descriptors() const { return descriptors_; }
    const std::optional<int>& exit_status() const { return exit_status_; }
    const std::optional<uint64_t>& fuel() const { return fuel_; }
    // Bytes of guest pages mapped, and of those the snapshot holds contents
    // for (pages of zeros take no memory): what it costs its holder.
    uint64_t mapped_bytes() const;
    uint64_t stored_bytes() const;

    // Kept sandboxes (docs/snapshots.md): a sandbox made from this snapshot
    // and later destroyed is reset to it and kept, up to `max` of them (none
    // unless set), while the snapshot lives. A sandbox made from the
    // snapshot with the very options a kept one was made with takes it: its
    // host memory already mapped and touched, the snapshot's code already
    // translated, so it is ready to call in microseconds. Nothing of the
    // sandbox it was reaches the new one (as with a pool's reset: memory,
    // registers, extended state, %fs/%gs, descriptors, fuel, usage), and
    // the new sandbox's own state (clocks, limits reached, the host's
    // functions) starts as any new sandbox's. A sandbox left stopped (a
    // limit, an interrupt) or that its reset fails is not kept. Each kept
    // one holds its host memory: what the snapshot's pages cost once
    // written, the engine's translations and tables. Lowering `max` frees
    // the extra ones now. Thread-safe.
    void keep_sandboxes(size_t max) const;
    size_t sandboxes_kept() const;

private:
    friend class Sandbox;
    Snapshot() = default;

    SandboxOptions options_;
    std::shared_ptr<const MemoryImage> memory_;
    CpuState cpu_;
    std::vector<uint8_t> extended_state_;
    Segment fs_, gs_;
    SegmentDescriptors descriptors_;
    std::optional<int> exit_status_;
    std::optional<uint64_t> fuel_;
    std::unique_ptr<KeptSandboxes> kept_;  // (mutable through the pointer: a cache, not the image)
};

}  // namespace vx
