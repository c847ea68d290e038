#include "dbt/cache/block_cache.h"

#include <sys/mman.h>

#include <cstring>
#include <iterator>
#include <utility>

namespace vx::dbt {

const Block& BlockCache::add(Block block) {
    const uint32_t eip = block.guest_eip;
    const Block& kept = by_eip_.emplace(eip, std::move(block)).first->second;
    by_host_[kept.host_entry] = &kept;
    records_ += kept.insns.size();
    return kept;
}

const Block& BlockCache::add_short(Block block) {
    const Block& kept = short_.emplace_back(std::move(block));
    by_host_[kept.host_entry] = &kept;
    records_ += kept.insns.size();
    return kept;
}

const Block* BlockCache::containing(uint64_t host_pc) const {
    auto it = by_host_.upper_bound(host_pc);
    if (it == by_host_.begin()) return nullptr;
    return std::prev(it)->second;
}

void BlockCache::add_indirect_target(const Block& block, uint64_t miss_path) {
    uint32_t slot = block.guest_eip & (kLookupEntries - 1);
    ctx_.lookup_keys[slot] = ~block.guest_eip;
    ctx_.lookup_targets[slot] = block.host_entry - miss_path;
    lookup_used_ = true;
    mark_lookup_written(slot);
}

void BlockCache::forget_indirect_targets() {
    if (!lookup_used_) return;  // none to forget: its pages stay the zero pages they are
    std::memset(ctx_.lookup_keys, 0, sizeof ctx_.lookup_keys);
    for (size_t page = 0; page < kLookupKeyPages; ++page) mark_lookup_page(page);
}

void BlockCache::clear() {
    by_eip_.clear();
    short_.clear();
    by_host_.clear();
    records_ = 0;
    if (lookup_used_) {  // back to zero pages: an empty table
        madvise(ctx_.lookup_keys, sizeof ctx_.lookup_keys + sizeof ctx_.lookup_targets, MADV_DONTNEED);
        lookup_used_ = false;
        lookup_pages_.reset();
        lookup_pages_written_ = 0;
    }
}

uint64_t BlockCache::host_bytes() const {
    constexpr uint64_t kPerBlock = sizeof(Block) + 64;  // the maps' nodes around it
    const uint64_t lookup = lookup_pages_written_ * 4096;
    return lookup + size() * kPerBlock + records_ * sizeof(InsnRecord);
}

}  // namespace vx::dbt
