// Snapshots: Sandbox::snapshot, restore, and sandboxes made from a snapshot
// (see docs/snapshots.md).
#include "vx/snapshot.h"

#include "core/engine.h"
#include "core/kept_sandboxes.h"
#include "core/memory_image.h"
#include "vx/error.h"

namespace vx {

Snapshot::~Snapshot() = default;
uint64_t Snapshot::mapped_bytes() const { return uint64_t(memory_->mapped_pages) * kPageSize; }
uint64_t Snapshot::stored_bytes() const { return memory_->stored_bytes; }
void Snapshot::keep_sandboxes(size_t max) const { kept_->set_max(max); }
size_t Snapshot::sandboxes_kept() const { return kept_->size(); }

Segment Sandbox::segment(SegmentRegister segment) const { return engine_->segment(segment); }

std::shared_ptr<const Snapshot> Sandbox::snapshot() const {
    std::shared_ptr<Snapshot> snapshot(new Snapshot);
    snapshot->options_ = options_;
    snapshot->memory_ = memory_->capture();
    snapshot->cpu_ = cpu_;
    snapshot->extended_state_ = engine_->extended_state();
    snapshot->fs_ = engine_->segment(SegmentRegister::fs);
    snapshot->gs_ = engine_->segment(SegmentRegister::gs);
    snapshot->descriptors_ = descriptors_;
    snapshot->exit_status_ = exit_status_;
    snapshot->fuel_ = engine_->fuel();
    snapshot->kept_ = std::make_unique<KeptSandboxes>();
    return snapshot;
}

void Sandbox::restore(const Snapshot& snapshot) {
    const MemoryImage& image = *snapshot.memory_;
    // Everything that can refuse without touching the host first.
    if (snapshot.cpu_.arch() != options_.arch)
        throw Error(std::string("the snapshot is of an ") + to_string(snapshot.cpu_.arch()) +
                    " guest, and this sandbox runs " + to_string(options_.arch) + " ones");
    memory_->check_restore(image);
    if (snapshot.fuel_ && !engine_->fuel())
        throw Error("the snapshot counts fuel, and this sandbox counts none: its limits must give some");
    // Its own from the start: the shared pages, copied (private ones are
    // the image's until written).
    const uint64_t own = uint64_t(image.shared_pages) * kPageSize;
    if (options_.limits.memory && own > *options_.limits.memory)
        throw Error("the snapshot's shared memory (" + std::to_string(own) + " bytes) is more than this sandbox's "
                    "memory limit (" + std::to_string(*options_.limits.memory) + ")");
    const std::vector<uint8_t> extended_before = engine_->extended_state();
    if (!engine_->set_extended_state(snapshot.extended_state_))
        throw Error("the snapshot's extended state is not one this CPU loads");

    // Runs the guest wrote are copied back rather than mapped anew, unless
    // it reached the memory limit: then the next guest starts from no more
    // than the snapshot's own.
    const bool reached_memory_limit = host_breach_ && host_breach_->limit == Limit::Memory;
    if (!memory_->restore(image, !reached_memory_limit)) {
        engine_->set_extended_state(extended_before);
        engine_->guest_replaced(false);
        throw Error("the host refused to map the snapshot's memory: the sandbox has none now, and stops with the host "
                    "mappings limit until a restore succeeds");
    }
    cpu_ = snapshot.cpu_;
    if (snapshot.options_.selectors != options_.selectors) set_selectors(snapshot.options_.selectors);
    engine_->set_segment(SegmentRegister::fs, snapshot.fs_.selector, snapshot.fs_.base);
    engine_->set_segment(SegmentRegister::gs, snapshot.gs_.selector, snapshot.gs_.base);
    if (snapshot.descriptors_ != descriptors_) {
        descriptors_ = snapshot.descriptors_;
        engine_->set_descriptors(descriptors_);
    }
    if (snapshot.fuel_) {
        engine_->take_fuel();
        engine_->add_fuel(*snapshot.fuel_);
    }
    exit_status_ = snapshot.exit_status_;
    if (host_breach_ && (host_breach_->limit == Limit::Memory || host_breach_->limit == Limit::HostMappings))
        host_breach_.reset();
    engine_->guest_replaced(memory_->code_unchanged());
}

}  // namespace vx
