#include "vx/segment_descriptors.h"

namespace vx {
namespace {

constexpr uint16_t kTableIndicator = 4;  // a selector's TI bit: the LDT, not the GDT

}  // namespace

bool SegmentDescriptors::set(unsigned index, uint32_t base) {
    if (index == 0 || index >= kEntries) return false;
    entries_[uint16_t(index)] = base;
    return true;
}

void SegmentDescriptors::clear(unsigned index) {
    if (index < kEntries) entries_.erase(uint16_t(index));
}

std::optional<uint32_t> SegmentDescriptors::base(unsigned index) const {
    if (index >= kEntries) return std::nullopt;
    auto it = entries_.find(uint16_t(index));
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

std::optional<uint32_t> SegmentDescriptors::resolve(uint16_t selector) const {
    if ((selector & ~3u) == 0) return 0u;
    if (selector & kTableIndicator) return std::nullopt;
    return base(selector >> 3);
}

}  // namespace vx
