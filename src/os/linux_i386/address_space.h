#pragma once
// Where a guest process's memory goes, as Linux decides it: the pages the
// process has mapped (image, stack, heap, mmap; a PROT_NONE mapping still
// holds its addresses), the program break (brk's heap, from the end of the
// image up) and the area where mmap places a mapping it may choose the
// address of (downwards from under the stack, above the heap). Only the
// arithmetic lives here; mapping the pages is GuestMemory's, and asking the
// sandbox to admit them is LinuxProcess's (memory_calls.cpp).
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "vx/guest_memory.h"

namespace vx::os::linux_i386 {

class AddressSpace {
public:
    // Whether the page at a (page-aligned) address is mapped without the
    // process mapping it: the pages the stack grew to.
    using MappedElsewhere = std::function<bool(uint32_t addr)>;
    explicit AddressSpace(MappedElsewhere mapped_elsewhere = {});

    // A new image: `mapped_pages` one flag a page of the guest's memory (what
    // the loader and the initial stack mapped), the break at `image_end`,
    // mappings placed under `mmap_top`.
    void start(std::vector<bool> mapped_pages, uint32_t image_end, uint32_t mmap_top);

    uint32_t size() const { return uint32_t(reserved_.size()) * kPageSize; }  // the guest's memory
    uint32_t brk_start() const { return brk_start_; }
    uint32_t brk() const { return brk_; }
    uint32_t mmap_top() const { return mmap_top_; }
    // The end of the heap's pages.
    uint32_t heap_end() const;

    // Pages the process has mapped (or not any more).
    void reserve(uint32_t addr, uint32_t length, bool reserved);
    bool reserved(uint32_t page) const { return reserved_[page]; }  // by number
    // Whether all of [addr, addr+length) is taken (`all`), or any of it
    // (`!all`); taken: reserved, or mapped elsewhere.
    bool taken(uint32_t addr, uint32_t length, bool all) const;
    // The pages no mapping holds, in bytes.
    uint64_t free_bytes() const;

    // brk(wanted): the heap's page ends before and after. It grows when
    // new_end > old_end (every page of it new), shrinks when below.
    struct BreakChange {
        uint32_t old_end, new_end;
    };
    // None: Linux refuses `wanted` whatever is mapped (below the break's
    // start, beyond the guest's memory).
    std::optional<BreakChange> break_change(uint32_t wanted) const;
    // Whether the heap may grow to `new_end`: no higher than the top of the
    // mmap area, over pages nothing holds.
    bool heap_may_grow_to(uint32_t new_end) const;
    // The break once the pages are (un)mapped.
    void set_break(uint32_t wanted) { brk_ = wanted; }

    // Where a mapping of `length` bytes (whole pages) goes when the process
    // does not choose: the highest free pages under the mmap area's top and
    // above the heap. 0: there is no room.
    uint32_t place(uint32_t length) const;
    // mremap: whether the mapping ending at `tail` may grow in place by
    // `grow` bytes (whole pages): inside the mmap area, over free pages.
    bool may_extend(uint32_t tail, uint32_t grow) const;

private:
    MappedElsewhere mapped_elsewhere_;
    std::vector<bool> reserved_;  // one flag a page
    uint32_t brk_start_ = 0, brk_ = 0;
    uint32_t mmap_top_ = 0;  // mmap places mappings downwards from here
};

}  // namespace vx::os::linux_i386
