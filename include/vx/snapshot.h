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

class Snapshot {
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
};

}  // namespace vx
