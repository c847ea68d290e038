#pragma once
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <unordered_map>

#include "dbt/runtime/runtime_context.h"
#include "dbt/translate/translator.h"

namespace vx::dbt {

// The blocks translated since the last clear(): by guest eip (what the run
// loop and chaining look up), those cut short to the fuel left (run once,
// never looked up), both kinds by host entry (for a fault or a stop in one);
// and the indirect-branch lookup table translated code reads (it lives in
// the runtime context), with the pages of it written since the last clear:
// what it costs the host, as its other pages stay untouched zero pages.
class BlockCache {
public:
    explicit BlockCache(RuntimeContext& ctx) : ctx_(ctx) {}
    BlockCache(const BlockCache&) = delete;
    BlockCache& operator=(const BlockCache&) = delete;

    // One hash lookup: it is on the run loop's path.
    const Block* find(uint32_t eip) const {
        auto it = by_eip_.find(eip);
        return it == by_eip_.end() ? nullptr : &it->second;
    }
    uint64_t entry_if_translated(uint32_t eip) const {  // 0: not translated
        const Block* block = find(eip);
        return block ? block->host_entry : 0;
    }
    // Keeps `block`, none being kept at its eip yet.
    const Block& add(Block block);
    // Keeps a block cut short, to run once: find() never returns it.
    const Block& add_short(Block block);
    // The block whose code holds host address `pc`, if any might (the
    // caller checks `pc` against its end). Also from a signal handler.
    const Block* containing(uint64_t host_pc) const;

    // Indirect branches to `block` find it in the lookup table from now on.
    void add_indirect_target(const Block& block, uint64_t miss_path);
    // Every indirect branch misses from now on (the blocks stay). Also from
    // a signal handler.
    void forget_indirect_targets();

    // Forgets every block, and gives the lookup table's pages back (zero pages).
    void clear();
    size_t size() const { return by_eip_.size() + short_.size(); }
    // What the blocks and the written pages of the lookup table cost the host
    // (the code cache's bytes aside).
    uint64_t host_bytes() const;

private:
    static constexpr size_t kLookupKeyPages = kLookupEntries * sizeof(uint32_t) / 4096;
    static constexpr size_t kLookupPages = kLookupKeyPages + kLookupEntries * sizeof(uint64_t) / 4096;
    void mark_lookup_written(uint32_t slot) {
        mark_lookup_page(slot * sizeof(uint32_t) / 4096);
        mark_lookup_page(kLookupKeyPages + slot * sizeof(uint64_t) / 4096);
    }
    // Counted as marked: host_bytes runs at every entry into the guest, and
    // counting the bits there is a library call where the CPU's popcnt
    // cannot be assumed.
    void mark_lookup_page(size_t page) {
        if (lookup_pages_.test(page)) return;
        lookup_pages_.set(page);
        ++lookup_pages_written_;
    }

    RuntimeContext& ctx_;
    std::unordered_map<uint32_t, Block> by_eip_;
    std::list<Block> short_;
    std::map<uint64_t, const Block*> by_host_;  // by host entry, of both kinds
    uint64_t records_ = 0;                      // InsnRecords kept, for host_bytes
    bool lookup_used_ = false;
    std::bitset<kLookupPages> lookup_pages_;
    size_t lookup_pages_written_ = 0;  // lookup_pages_.count()
};

}  // namespace vx::dbt
