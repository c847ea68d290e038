// A guest process's address space (address_space.h): Linux's rules for the
// program break (refused below its start and beyond memory, whole pages,
// never over a mapping nor past the mmap area) and for where mmap places a
// mapping it may choose the address of (the highest free pages under the
// top, above the heap).
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "os/linux_i386/address_space.h"

namespace {

using vx::kPageSize;
using vx::os::linux_i386::AddressSpace;

// 64 pages: the image at pages 16-19 (its end inside page 19), the stack at
// 60-63, a guard page under it, mappings placed under page 59.
constexpr uint32_t kPages = 64;
constexpr uint32_t kImageEnd = 19 * kPageSize + 0x800;
constexpr uint32_t kHeapEnd = 20 * kPageSize;
constexpr uint32_t kMmapTop = 59 * kPageSize;

std::vector<bool> image_and_stack() {
    std::vector<bool> mapped(kPages, false);
    for (uint32_t page = 16; page < 20; ++page) mapped[page] = true;
    for (uint32_t page = 60; page < kPages; ++page) mapped[page] = true;
    return mapped;
}

AddressSpace started(AddressSpace::MappedElsewhere mapped_elsewhere = {}) {
    AddressSpace space(std::move(mapped_elsewhere));
    space.start(image_and_stack(), kImageEnd, kMmapTop);
    return space;
}

uint32_t page(uint32_t n) { return n * kPageSize; }

TEST(AddressSpace, TheBreakStartsAtTheImagesEnd) {
    AddressSpace space = started();
    EXPECT_EQ(space.brk_start(), kImageEnd);
    EXPECT_EQ(space.brk(), kImageEnd);
    EXPECT_EQ(space.heap_end(), kHeapEnd);  // the image's last page holds the heap's first bytes
    EXPECT_EQ(space.size(), kPages * kPageSize);
    EXPECT_EQ(space.mmap_top(), kMmapTop);
}

TEST(AddressSpace, BrkBelowItsStartOrBeyondMemoryIsRefused) {
    AddressSpace space = started();
    EXPECT_FALSE(space.break_change(kImageEnd - 1));
    EXPECT_FALSE(space.break_change(0));  // brk(0) asks where the break is: nothing changes
    EXPECT_FALSE(space.break_change(space.size() + 1));
    EXPECT_TRUE(space.break_change(space.size()));  // (the pages decide that one)
    EXPECT_TRUE(space.break_change(kImageEnd));
}

TEST(AddressSpace, TheBreakMovesInWholePages) {
    AddressSpace space = started();
    // Within the page the image ends in: no page comes or goes.
    std::optional<AddressSpace::BreakChange> change = space.break_change(kHeapEnd);
    ASSERT_TRUE(change);
    EXPECT_EQ(change->old_end, kHeapEnd);
    EXPECT_EQ(change->new_end, kHeapEnd);
    // One byte past it: a whole page more.
    change = space.break_change(kHeapEnd + 1);
    ASSERT_TRUE(change);
    EXPECT_EQ(change->old_end, kHeapEnd);
    EXPECT_EQ(change->new_end, kHeapEnd + kPageSize);
    space.set_break(kHeapEnd + 1);
    EXPECT_EQ(space.brk(), kHeapEnd + 1);
    EXPECT_EQ(space.heap_end(), kHeapEnd + kPageSize);
}

TEST(AddressSpace, TheHeapGrowsUpToTheMmapAreaNotPast) {
    AddressSpace space = started();
    EXPECT_TRUE(space.heap_may_grow_to(kHeapEnd + kPageSize));
    EXPECT_TRUE(space.heap_may_grow_to(kMmapTop));
    EXPECT_FALSE(space.heap_may_grow_to(kMmapTop + kPageSize));  // the guard page under the stack
}

TEST(AddressSpace, TheHeapDoesNotGrowIntoAMapping) {
    AddressSpace space = started();
    space.reserve(page(30), 2 * kPageSize, true);  // an mmap'd mapping, PROT_NONE or not
    EXPECT_TRUE(space.heap_may_grow_to(page(30)));
    EXPECT_FALSE(space.heap_may_grow_to(page(31)));
    EXPECT_FALSE(space.heap_may_grow_to(page(40)));  // over it and beyond
    space.reserve(page(30), 2 * kPageSize, false);  // munmap'd: the way is free
    EXPECT_TRUE(space.heap_may_grow_to(page(40)));
}

TEST(AddressSpace, TheHeapDoesNotGrowOverPagesMappedElsewhere) {
    // Pages the stack grew to are the memory's, not the process's record.
    AddressSpace space = started([](uint32_t addr) { return addr == page(25); });
    EXPECT_TRUE(space.heap_may_grow_to(page(25)));
    EXPECT_FALSE(space.heap_may_grow_to(page(26)));
    EXPECT_TRUE(space.taken(page(25), kPageSize, true));
    EXPECT_FALSE(space.reserved(25));
}

TEST(AddressSpace, TheHeapShrinksToItsStartAndNoLower) {
    AddressSpace space = started();
    space.reserve(kHeapEnd, 4 * kPageSize, true);
    space.set_break(kHeapEnd + 4 * kPageSize);
    std::optional<AddressSpace::BreakChange> change = space.break_change(kImageEnd);
    ASSERT_TRUE(change);
    EXPECT_EQ(change->old_end, kHeapEnd + 4 * kPageSize);
    EXPECT_EQ(change->new_end, kHeapEnd);  // the image's own page stays
    EXPECT_FALSE(space.break_change(kImageEnd - kPageSize));
}

TEST(AddressSpace, TakenSaysAllOrAny) {
    AddressSpace space = started();
    EXPECT_TRUE(space.taken(page(16), 4 * kPageSize, true));  // the image
    EXPECT_TRUE(space.taken(page(18), 4 * kPageSize, false));
    EXPECT_FALSE(space.taken(page(18), 4 * kPageSize, true));
    EXPECT_FALSE(space.taken(page(20), 10 * kPageSize, false));
    EXPECT_TRUE(space.taken(page(20), 0, true));  // nothing to find free
    EXPECT_FALSE(space.taken(page(20), 0, false));
}

TEST(AddressSpace, MappingsArePlacedDownwardsFromTheTop) {
    AddressSpace space = started();
    const uint32_t first = space.place(2 * kPageSize);
    EXPECT_EQ(first, kMmapTop - 2 * kPageSize);
    space.reserve(first, 2 * kPageSize, true);
    const uint32_t second = space.place(kPageSize);
    EXPECT_EQ(second, first - kPageSize);
}

TEST(AddressSpace, PlacementSkipsWhatIsTakenAndGapsTooSmall) {
    AddressSpace space = started();
    space.reserve(page(58), kPageSize, true);  // the top is taken
    space.reserve(page(55), kPageSize, true);  // leaving a gap of two pages, 56-57
    EXPECT_EQ(space.place(kPageSize), page(57));
    EXPECT_EQ(space.place(2 * kPageSize), page(56));
    EXPECT_EQ(space.place(3 * kPageSize), page(52));  // the gap is too small: under the next mapping
}

TEST(AddressSpace, PlacementSkipsPagesMappedElsewhere) {
    // A host's mapping (a shared buffer) or the stack's growth: the memory's,
    // not the process's record, and never placed over.
    AddressSpace space = started([](uint32_t addr) { return addr == page(57); });
    EXPECT_EQ(space.place(kPageSize), page(58));
    EXPECT_EQ(space.place(2 * kPageSize), page(55));
}

TEST(AddressSpace, PlacementNeverGoesIntoTheHeap) {
    AddressSpace space = started();
    const uint32_t between = (kMmapTop - kHeapEnd) / kPageSize;  // pages 20-58
    EXPECT_EQ(space.place(between * kPageSize), kHeapEnd);
    EXPECT_EQ(space.place((between + 1) * kPageSize), 0u);  // it would meet the heap: no room
    space.set_break(kHeapEnd + 1);  // the heap takes page 20
    EXPECT_EQ(space.place(between * kPageSize), 0u);
    EXPECT_EQ(space.place((between - 1) * kPageSize), kHeapEnd + kPageSize);
}

TEST(AddressSpace, PlacementFailsOnceTheAreaIsFull) {
    AddressSpace space = started();
    std::set<uint32_t> placed;
    while (uint32_t at = space.place(kPageSize)) {
        ASSERT_TRUE(placed.insert(at).second);
        space.reserve(at, kPageSize, true);
    }
    EXPECT_EQ(placed.size(), (kMmapTop - kHeapEnd) / kPageSize);
    EXPECT_EQ(*placed.begin(), kHeapEnd);
    EXPECT_EQ(space.free_bytes(), uint64_t(16 + 1) * kPageSize);  // under the image, and the stack's guard page
    space.reserve(page(40), kPageSize, false);
    EXPECT_EQ(space.place(kPageSize), page(40));
}

TEST(AddressSpace, AMappingGrowsInPlaceWithinTheArea) {
    AddressSpace space = started();
    space.reserve(page(50), 2 * kPageSize, true);
    EXPECT_TRUE(space.may_extend(page(52), 7 * kPageSize));  // up to the top
    EXPECT_FALSE(space.may_extend(page(52), 8 * kPageSize));  // past it
    space.reserve(page(54), kPageSize, true);
    EXPECT_TRUE(space.may_extend(page(52), 2 * kPageSize));
    EXPECT_FALSE(space.may_extend(page(52), 3 * kPageSize));  // into the next mapping
    EXPECT_FALSE(space.may_extend(page(19), kPageSize));      // the image's: below the heap's end
}

TEST(AddressSpace, FreeBytesCountPagesNoMappingHolds) {
    AddressSpace space = started();
    EXPECT_EQ(space.free_bytes(), uint64_t(kPages - 8) * kPageSize);
    space.reserve(page(30), 3 * kPageSize, true);
    EXPECT_EQ(space.free_bytes(), uint64_t(kPages - 11) * kPageSize);
}

}  // namespace
