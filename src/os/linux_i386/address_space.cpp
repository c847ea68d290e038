#include "os/linux_i386/address_space.h"

#include <algorithm>
#include <utility>

namespace vx::os::linux_i386 {
namespace {

uint64_t page_ceil(uint64_t value) { return (value + kPageSize - 1) & ~uint64_t(kPageSize - 1); }

}  // namespace

AddressSpace::AddressSpace(MappedElsewhere mapped_elsewhere) : mapped_elsewhere_(std::move(mapped_elsewhere)) {}

void AddressSpace::start(std::vector<bool> mapped_pages, uint32_t image_end, uint32_t mmap_top) {
    reserved_ = std::move(mapped_pages);
    brk_start_ = brk_ = image_end;
    mmap_top_ = mmap_top;
}

uint32_t AddressSpace::heap_end() const { return uint32_t(page_ceil(brk_)); }

void AddressSpace::reserve(uint32_t addr, uint32_t length, bool reserved) {
    for (uint32_t p = addr / kPageSize; p < (uint64_t(addr) + length) / kPageSize; ++p) reserved_[p] = reserved;
}

bool AddressSpace::taken(uint32_t addr, uint32_t length, bool all) const {
    for (uint32_t p = addr / kPageSize; p < (uint64_t(addr) + length) / kPageSize; ++p) {
        const bool page_taken = reserved_[p] || (mapped_elsewhere_ && mapped_elsewhere_(p * kPageSize));
        if (page_taken != all) return !all;
    }
    return all;
}

uint64_t AddressSpace::free_bytes() const {
    return uint64_t(std::count(reserved_.begin(), reserved_.end(), false)) * kPageSize;
}

std::optional<AddressSpace::BreakChange> AddressSpace::break_change(uint32_t wanted) const {
    if (wanted < brk_start_ || wanted > size()) return std::nullopt;
    return BreakChange{heap_end(), uint32_t(page_ceil(wanted))};
}

bool AddressSpace::heap_may_grow_to(uint32_t new_end) const {
    const uint32_t old_end = heap_end();
    return new_end <= mmap_top_ && !taken(old_end, new_end - old_end, false);
}

uint32_t AddressSpace::place(uint32_t length) const {
    const uint32_t pages = length / kPageSize, lowest = heap_end() / kPageSize;
    uint32_t run = 0;
    for (uint32_t p = mmap_top_ / kPageSize; p-- > lowest;) {
        run = taken(p * kPageSize, kPageSize, true) ? 0 : run + 1;
        if (run == pages) return p * kPageSize;
    }
    return 0;
}

bool AddressSpace::may_extend(uint32_t tail, uint32_t grow) const {
    return uint64_t(tail) + grow <= mmap_top_ && tail >= heap_end() && !taken(tail, grow, false);
}

}  // namespace vx::os::linux_i386
