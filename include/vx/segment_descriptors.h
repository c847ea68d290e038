#pragma once
#include <cstdint>
#include <map>
#include <optional>

namespace vx {

// The segment descriptors a host defines for its i386 guest: entries of the
// guest's global descriptor table (GDT), each a user data segment (DPL 3)
// at a 32-bit base that reaches all of guest memory (Linux: the TLS entries
// of set_thread_area). They decide what the guest's own load of a selector
// into %fs or %gs gives, as a CPU decides it for user code (resolve). An
// x86-64 guest's fs and gs bases are no descriptors: it sets them whole.
class SegmentDescriptors {
public:
    // A selector's 13-bit index names entries 0 .. kEntries - 1; entry 0
    // is the null descriptor, never defined.
    static constexpr unsigned kEntries = 8192;

    // Defines entry `index` at `base` (or moves it there). False, changing
    // nothing, for an index no selector may name (0, kEntries and up).
    bool set(unsigned index, uint32_t base);
    // Entry `index` no longer defined (as before set; any index).
    void clear(unsigned index);
    std::optional<uint32_t> base(unsigned index) const;
    // What a user-mode load of `selector` into fs or gs gives, as the CPU
    // loads it: a null selector (0-3) base 0; a selector naming a defined
    // GDT entry that entry's base, whatever its RPL (the entries are DPL 3,
    // so no RPL is refused). Nothing for anything else (the load raises
    // #GP): an entry not defined, an LDT selector (the guest has no LDT).
    std::optional<uint32_t> resolve(uint16_t selector) const;

    // The defined entries: index -> base.
    const std::map<uint16_t, uint32_t>& entries() const { return entries_; }
    bool operator==(const SegmentDescriptors&) const = default;

private:
    std::map<uint16_t, uint32_t> entries_;
};

}  // namespace vx
