// GuestMemory's bookkeeping: which ranges it accepts, which permissions it
// records, what the host-side accessors let through, and when it says that
// translations may be stale.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "vx/guest_memory.h"

namespace {

constexpr uint32_t kSize = 16u << 20;
constexpr uint32_t kPage = vx::kPageSize;

class GuestMemoryTest : public ::testing::Test {
protected:
    vx::GuestMemory memory_{kSize};
};

TEST(GuestMemorySize, RejectsSizesThatAreNotPageMultiples) {
    EXPECT_THROW(vx::GuestMemory((1u << 20) + 1), vx::Error);
    EXPECT_THROW(vx::GuestMemory((1u << 20) + kPage / 2), vx::Error);
}

TEST(GuestMemorySize, RejectsSizesBelow64KiB) {
    EXPECT_THROW(vx::GuestMemory(0), vx::Error);
    EXPECT_THROW(vx::GuestMemory(15 * kPage), vx::Error);
}

TEST(GuestMemorySize, RejectsSizesAbove3GiB) {
    EXPECT_THROW(vx::GuestMemory(vx::kMaxGuestMemory + kPage), vx::Error);
    EXPECT_THROW(vx::GuestMemory(4ull << 30), vx::Error);
    EXPECT_THROW(vx::GuestMemory(1ull << 40), vx::Error);
}

TEST(GuestMemorySize, AcceptsTheLimits) {
    vx::GuestMemory smallest(16 * kPage);
    EXPECT_EQ(smallest.size(), 16 * kPage);
    vx::GuestMemory largest(vx::kMaxGuestMemory);
    EXPECT_EQ(largest.size(), uint32_t(vx::kMaxGuestMemory));
    EXPECT_NE(largest.host_base(), nullptr);
}

TEST(GuestMemorySize, FreshMemoryHasNoPermissions) {
    vx::GuestMemory memory(kSize);
    for (uint32_t addr : {0u, kPage, kSize / 2, kSize - 1}) EXPECT_EQ(memory.perms_at(addr), vx::kNone);
}

TEST_F(GuestMemoryTest, MapRejectsUnalignedOrOutsideRanges) {
    EXPECT_THROW(memory_.map(kPage + 1, kPage, vx::kRead), vx::Error);
    EXPECT_THROW(memory_.map(kPage, kPage - 1, vx::kRead), vx::Error);
    EXPECT_THROW(memory_.map(kSize - kPage, 2 * kPage, vx::kRead), vx::Error);
    EXPECT_THROW(memory_.map(kSize, kPage, vx::kRead), vx::Error);
    // addr + length wraps around 2^32.
    EXPECT_THROW(memory_.map(0xfffff000, 0x2000, vx::kRead), vx::Error);
    EXPECT_EQ(memory_.perms_at(kPage), vx::kNone);
    EXPECT_EQ(memory_.perms_at(0), vx::kNone);
}

TEST_F(GuestMemoryTest, ProtectRejectsUnalignedOrOutsideRanges) {
    memory_.map(kSize - 2 * kPage, 2 * kPage, vx::kRead);
    EXPECT_THROW(memory_.protect(kSize - 2 * kPage + 8, kPage, vx::kRead | vx::kWrite), vx::Error);
    EXPECT_THROW(memory_.protect(kSize - 2 * kPage, kPage + 8, vx::kRead | vx::kWrite), vx::Error);
    EXPECT_THROW(memory_.protect(kSize - kPage, 2 * kPage, vx::kRead | vx::kWrite), vx::Error);
    EXPECT_THROW(memory_.protect(0xfffff000, 0x2000, vx::kRead | vx::kWrite), vx::Error);
    EXPECT_EQ(memory_.perms_at(kSize - 2 * kPage), vx::kRead);
    EXPECT_EQ(memory_.perms_at(kSize - kPage), vx::kRead);
}

TEST_F(GuestMemoryTest, UnmapRejectsUnalignedOrOutsideRanges) {
    memory_.map(kSize - 2 * kPage, 2 * kPage, vx::kRead);
    EXPECT_THROW(memory_.unmap(kSize - 2 * kPage + 1, kPage), vx::Error);
    EXPECT_THROW(memory_.unmap(kSize - 2 * kPage, 1), vx::Error);
    EXPECT_THROW(memory_.unmap(kSize - kPage, 2 * kPage), vx::Error);
    EXPECT_THROW(memory_.unmap(0xfffff000, 0x2000), vx::Error);
    EXPECT_EQ(memory_.perms_at(kSize - 2 * kPage), vx::kRead);
    EXPECT_EQ(memory_.perms_at(kSize - kPage), vx::kRead);
}

TEST_F(GuestMemoryTest, RangeEndingExactlyAtSizeIsAccepted) {
    memory_.map(kSize - kPage, kPage, vx::kRead);
    memory_.protect(kSize - kPage, kPage, vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(kSize - 1), vx::kRead | vx::kWrite);
    memory_.unmap(kSize - kPage, kPage);
    EXPECT_EQ(memory_.perms_at(kSize - 1), vx::kNone);
}

TEST_F(GuestMemoryTest, PermissionsArePerPage) {
    memory_.map(0x10000, 3 * kPage, vx::kRead | vx::kWrite);
    memory_.protect(0x11000, kPage, vx::kRead | vx::kExec);
    EXPECT_EQ(memory_.perms_at(0x10000), vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(0x10fff), vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(0x11000), vx::kRead | vx::kExec);
    EXPECT_EQ(memory_.perms_at(0x11abc), vx::kRead | vx::kExec);
    EXPECT_EQ(memory_.perms_at(0x12000), vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(0x13000), vx::kNone);
    EXPECT_EQ(memory_.perms_at(0x0ffff), vx::kNone);

    memory_.unmap(0x12000, kPage);
    EXPECT_EQ(memory_.perms_at(0x12000), vx::kNone);
    EXPECT_EQ(memory_.perms_at(0x11000), vx::kRead | vx::kExec);
}

TEST_F(GuestMemoryTest, PermsBeyondSizeAreNone) {
    memory_.map(kSize - kPage, kPage, vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(kSize), vx::kNone);
    EXPECT_EQ(memory_.perms_at(0xffffffff), vx::kNone);
}

TEST_F(GuestMemoryTest, MapGivesFreshZeroPages) {
    memory_.map(0x10000, kPage, vx::kRead | vx::kWrite);
    const uint32_t pattern = 0x12345678;
    ASSERT_TRUE(memory_.write(0x10010, &pattern, sizeof pattern));
    memory_.unmap(0x10000, kPage);
    memory_.map(0x10000, kPage, vx::kRead | vx::kWrite);
    uint32_t value = 1;
    ASSERT_TRUE(memory_.read(0x10010, &value, sizeof value));
    EXPECT_EQ(value, 0u);

    ASSERT_TRUE(memory_.write(0x10010, &pattern, sizeof pattern));
    memory_.map(0x10000, kPage, vx::kRead | vx::kWrite);  // over an existing mapping
    ASSERT_TRUE(memory_.read(0x10010, &value, sizeof value));
    EXPECT_EQ(value, 0u);
}

TEST_F(GuestMemoryTest, ProtectKeepsContents) {
    memory_.map(0x10000, kPage, vx::kRead | vx::kWrite);
    const uint32_t pattern = 0xcafef00d;
    ASSERT_TRUE(memory_.write(0x10020, &pattern, sizeof pattern));
    memory_.protect(0x10000, kPage, vx::kRead);
    uint32_t value = 0;
    ASSERT_TRUE(memory_.read(0x10020, &value, sizeof value));
    EXPECT_EQ(value, pattern);
}

TEST_F(GuestMemoryTest, AccessibleAtTheEndOfMemory) {
    memory_.map(kSize - kPage, kPage, vx::kRead | vx::kWrite);
    EXPECT_TRUE(memory_.accessible(kSize - 4, 4, vx::kRead));
    EXPECT_TRUE(memory_.accessible(kSize - kPage, kPage, vx::kRead | vx::kWrite));
    EXPECT_TRUE(memory_.accessible(kSize - 1, 1, vx::kWrite));
    EXPECT_FALSE(memory_.accessible(kSize - 4, 5, vx::kRead));
    EXPECT_FALSE(memory_.accessible(kSize, 1, vx::kRead));
    EXPECT_FALSE(memory_.accessible(kSize - kPage, uint64_t(1) << 32, vx::kRead));
}

TEST_F(GuestMemoryTest, AccessibleEmptyRanges) {
    EXPECT_TRUE(memory_.accessible(kSize, 0, vx::kRead));
    EXPECT_TRUE(memory_.accessible(0x10000, 0, vx::kRead | vx::kWrite));  // unmapped, but no byte is asked for
    EXPECT_FALSE(memory_.accessible(kSize + 1, 0, vx::kRead));
    EXPECT_FALSE(memory_.accessible(0xffffffff, 0, vx::kRead));
}

TEST_F(GuestMemoryTest, AccessibleNearTheTopOfTheAddressSpaceDoesNotWrap) {
    memory_.map(0, kPage, vx::kRead | vx::kWrite);
    EXPECT_FALSE(memory_.accessible(0xffffffff, 1, vx::kRead));
    EXPECT_FALSE(memory_.accessible(0xffffffff, 2, vx::kRead));  // would end at 1 if it wrapped
    EXPECT_FALSE(memory_.accessible(0xfffffff0, 0x20, vx::kRead));
    EXPECT_FALSE(memory_.accessible(0xfffff000, 0x1001, vx::kRead));
}

TEST_F(GuestMemoryTest, AccessibleNeedsEveryPermissionOnEveryPage) {
    memory_.map(0x10000, kPage, vx::kRead | vx::kWrite);
    memory_.map(0x11000, kPage, vx::kRead);
    EXPECT_TRUE(memory_.accessible(0x10ffc, 8, vx::kRead));
    EXPECT_FALSE(memory_.accessible(0x10ffc, 8, vx::kWrite));
    EXPECT_TRUE(memory_.accessible(0x10ffc, 4, vx::kWrite));
    EXPECT_FALSE(memory_.accessible(0x11ffc, 8, vx::kRead));  // runs into an unmapped page
    EXPECT_FALSE(memory_.accessible(0x10000, 4, vx::kRead | vx::kExec));
    EXPECT_FALSE(memory_.accessible(0x0fffc, 8, vx::kRead));  // starts on an unmapped page
}

TEST_F(GuestMemoryTest, ReadAndWriteRoundTrip) {
    memory_.map(0x10000, 2 * kPage, vx::kRead | vx::kWrite);
    std::vector<uint8_t> data(100);
    for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 1);
    ASSERT_TRUE(memory_.write(0x10fd0, data.data(), data.size()));  // across the page boundary
    std::vector<uint8_t> back(data.size());
    ASSERT_TRUE(memory_.read(0x10fd0, back.data(), back.size()));
    EXPECT_EQ(back, data);
    EXPECT_EQ(std::memcmp(memory_.host_base() + 0x10fd0, data.data(), data.size()), 0);
}

TEST_F(GuestMemoryTest, ReadRefusesWithoutPermissionAndCopiesNothing) {
    memory_.map(0x10000, kPage, vx::kRead | vx::kWrite);
    memory_.map(0x11000, kPage, vx::kWrite);
    std::memset(memory_.host_base() + 0x10f00, 0x5a, 0x100);

    std::array<uint8_t, 0x200> dst;
    dst.fill(0xee);
    EXPECT_FALSE(memory_.read(0x10f00, dst.data(), dst.size()));  // second page is write-only
    EXPECT_TRUE(std::all_of(dst.begin(), dst.end(), [](uint8_t b) { return b == 0xee; }));
    EXPECT_FALSE(memory_.read(0x12000, dst.data(), 1));  // unmapped
    EXPECT_FALSE(memory_.read(kSize - 1, dst.data(), 2));  // past the end
    EXPECT_TRUE(std::all_of(dst.begin(), dst.end(), [](uint8_t b) { return b == 0xee; }));
}

TEST_F(GuestMemoryTest, WriteRefusesWithoutPermissionAndCopiesNothing) {
    memory_.map(0x10000, kPage, vx::kRead | vx::kWrite);
    memory_.map(0x11000, kPage, vx::kRead);
    std::array<uint8_t, 0x200> src;
    src.fill(0x77);
    EXPECT_FALSE(memory_.write(0x10f00, src.data(), src.size()));  // second page is read-only
    const uint8_t* host = memory_.host_base();
    EXPECT_TRUE(std::all_of(host + 0x10f00, host + 0x11100, [](uint8_t b) { return b == 0; }));
    EXPECT_FALSE(memory_.write(0x11000, src.data(), 1));
    EXPECT_FALSE(memory_.write(0x12000, src.data(), 1));  // unmapped
    EXPECT_FALSE(memory_.write(0xffffffff, src.data(), 1));
    EXPECT_EQ(host[0x11000], 0);
}

TEST_F(GuestMemoryTest, ExecOnlyPageIsNotHostReadable) {
    memory_.map(0x10000, kPage, vx::kExec);
    uint8_t b;
    EXPECT_FALSE(memory_.read(0x10000, &b, 1));
    EXPECT_TRUE(memory_.accessible(0x10000, 1, vx::kExec));
}

TEST_F(GuestMemoryTest, ExecGenerationCountsLostExecutePermission) {
    memory_.map(0x10000, 2 * kPage, vx::kRead | vx::kExec);
    uint64_t g = memory_.exec_generation();
    memory_.protect(0x10000, kPage, vx::kRead);
    EXPECT_GT(memory_.exec_generation(), g);

    g = memory_.exec_generation();
    memory_.protect(0x11000, kPage, vx::kNone);
    EXPECT_GT(memory_.exec_generation(), g);
}

TEST_F(GuestMemoryTest, ExecGenerationCountsUnmappedOrReplacedExecPages) {
    memory_.map(0x10000, 2 * kPage, vx::kRead | vx::kExec);
    uint64_t g = memory_.exec_generation();
    memory_.unmap(0x11000, kPage);
    EXPECT_GT(memory_.exec_generation(), g);

    g = memory_.exec_generation();
    memory_.map(0x10000, kPage, vx::kRead | vx::kExec);  // fresh pages where code was
    EXPECT_GT(memory_.exec_generation(), g);
}

TEST_F(GuestMemoryTest, ExecGenerationCountsHostWritesToExecPages) {
    memory_.map(0x10000, kPage, vx::kRead | vx::kWrite | vx::kExec);
    uint64_t g = memory_.exec_generation();
    const uint8_t nop = 0x90;
    ASSERT_TRUE(memory_.write(0x10000, &nop, 1));
    EXPECT_GT(memory_.exec_generation(), g);
}

TEST_F(GuestMemoryTest, ExecGenerationIgnoresChangesThatKeepCodeValid) {
    const uint64_t g = memory_.exec_generation();
    memory_.map(0x10000, kPage, vx::kRead | vx::kExec);
    memory_.protect(0x10000, kPage, vx::kRead | vx::kWrite | vx::kExec);
    memory_.protect(0x10000, kPage, vx::kExec);
    memory_.map(0x20000, 2 * kPage, vx::kRead | vx::kWrite);
    memory_.protect(0x20000, kPage, vx::kRead);
    memory_.protect(0x20000, kPage, vx::kNone);
    memory_.unmap(0x20000, 2 * kPage);
    memory_.map(0x30000, kPage, vx::kRead | vx::kWrite);
    const uint32_t value = 42;
    ASSERT_TRUE(memory_.write(0x30000, &value, sizeof value));
    uint32_t back;
    memory_.protect(0x10000, kPage, vx::kRead | vx::kExec);
    ASSERT_TRUE(memory_.read(0x10000, &back, sizeof back));
    EXPECT_FALSE(memory_.write(0x10000, &value, sizeof value));  // refused: nothing changed
    EXPECT_EQ(memory_.exec_generation(), g);
}

// Pages a host fork leaves in common (shared, or not writable) are held:
// counted apart from the copy's own bytes until they can be duplicated or
// are gone.
TEST_F(GuestMemoryTest, HoldsTheCommonPagesAndCountsTheRestAsItsOwn) {
    memory_.map(0x10000, 2 * kPage, vx::kRead | vx::kExec);               // common: not writable
    memory_.map(0x20000, 3 * kPage, vx::kRead | vx::kWrite);              // its own: may be duplicated
    memory_.map(0x30000, 4 * kPage, vx::kRead | vx::kWrite, /*shared=*/true);  // common: one copy
    memory_.map(0x40000, kPage, vx::kNone);                               // common
    EXPECT_EQ(memory_.common_bytes(), 7u * kPage);
    EXPECT_EQ(memory_.hold_common_pages(), 7u * kPage);
    EXPECT_EQ(memory_.own_bytes(), 3u * kPage);
    EXPECT_EQ(memory_.mapped_bytes(), 10u * kPage);
    EXPECT_EQ(memory_.common_bytes(), 0u);
    EXPECT_EQ(memory_.hold_common_pages(), 0u);  // held already
    EXPECT_EQ(memory_.held_bytes(0x10000, 0x40000, false), 7u * kPage);
    EXPECT_EQ(memory_.held_bytes(0x10000, 0x40000, true), 3u * kPage);  // the shared ones stay common
}

TEST_F(GuestMemoryTest, AHeldPageBecomesItsOwnWhenItCanBeDuplicatedOrIsReplaced) {
    memory_.map(0x10000, 4 * kPage, vx::kRead);
    memory_.map(0x30000, 2 * kPage, vx::kRead | vx::kWrite, /*shared=*/true);
    memory_.hold_common_pages();
    ASSERT_EQ(memory_.own_bytes(), 0u);
    memory_.protect(0x10000, kPage, vx::kRead | vx::kWrite);  // private and writable: a write copies it
    EXPECT_EQ(memory_.own_bytes(), 1u * kPage);
    memory_.protect(0x11000, kPage, vx::kNone);  // still not writable: still held
    EXPECT_EQ(memory_.own_bytes(), 1u * kPage);
    memory_.map(0x12000, kPage, vx::kRead);  // replaced: fresh pages are its own
    EXPECT_EQ(memory_.own_bytes(), 2u * kPage);
    memory_.unmap(0x13000, kPage);  // gone from here (the others may still hold it)
    EXPECT_EQ(memory_.own_bytes(), 2u * kPage);
    EXPECT_EQ(memory_.mapped_bytes(), 5u * kPage);
    memory_.protect(0x30000, 2 * kPage, vx::kRead);  // shared: one copy whatever its protection
    EXPECT_EQ(memory_.own_bytes(), 2u * kPage);
    ASSERT_TRUE(memory_.move(0x30000, 2 * kPage, 0x50000, 2 * kPage));  // moved: counted as its own
    EXPECT_EQ(memory_.own_bytes(), 4u * kPage);
    EXPECT_EQ(memory_.held_bytes(0, kSize, false), 1u * kPage);
}

// Copy-on-write, tracked: a fork's private writable pages are pending until
// written; a write makes the pages of its run the copy's own, once admitted.
TEST_F(GuestMemoryTest, PendingCopiesBecomeOwnARunAtATimeOnceAdmitted) {
    const uint32_t run = vx::GuestMemory::kCopyRun;
    memory_.map(run, 2 * run, vx::kRead | vx::kWrite);          // two runs, own
    memory_.map(4 * run, kPage, vx::kRead);                     // not writable: not marked
    std::vector<std::pair<uint16_t, uint32_t>> released;
    memory_.set_copy_release([&](uint16_t tag, uint32_t r) { released.push_back({tag, r}); });
    std::vector<uint64_t> admitted;
    bool admit = true;
    memory_.set_admission([&](uint64_t bytes) { admitted.push_back(bytes); return admit; });

    const std::vector<uint32_t> marked = memory_.mark_copy_pending(7);
    ASSERT_GE(marked.size(), 3u);
    EXPECT_EQ(marked[1], run / kPage);
    EXPECT_EQ(marked[2], run / kPage);
    EXPECT_EQ(memory_.own_bytes(), 1u * kPage);
    EXPECT_TRUE(memory_.copy_pending(run + 5));
    EXPECT_EQ(memory_.pending_bytes(0, kSize), 2u * run);
    EXPECT_EQ(memory_.pending_copies(), (std::vector<std::pair<uint16_t, uint32_t>>{{7, 1}, {7, 2}}));

    admit = false;  // the limit: nothing becomes its own, the host may not write
    const uint32_t value = 42;
    EXPECT_FALSE(memory_.write(run + 8, &value, sizeof value));
    EXPECT_TRUE(memory_.copy_pending(run + 8));
    EXPECT_TRUE(released.empty());

    admit = true;
    ASSERT_TRUE(memory_.write(run + 8, &value, sizeof value));  // the whole first run, admitted
    EXPECT_EQ(admitted.back(), uint64_t(run));
    EXPECT_EQ(memory_.own_bytes(), uint64_t(run) + kPage);
    EXPECT_FALSE(memory_.copy_pending(run));
    EXPECT_TRUE(memory_.copy_pending(2 * run));
    EXPECT_EQ(released, (std::vector<std::pair<uint16_t, uint32_t>>{{7, 1}}));

    // Unmapped, its pages are not admitted; the rest of the run stays mapped and is.
    ASSERT_TRUE(memory_.unmap(2 * run, run / 2));
    EXPECT_EQ(admitted.back(), uint64_t(run / 2));
    EXPECT_EQ(released.back(), (std::pair<uint16_t, uint32_t>{7, 2}));
    EXPECT_EQ(memory_.pending_bytes(0, kSize), 0u);
    EXPECT_EQ(memory_.own_bytes(), uint64_t(run) + run / 2 + kPage);
}

TEST_F(GuestMemoryTest, ForgettingCopiesLetsGoOfEveryRecord) {
    const uint32_t run = vx::GuestMemory::kCopyRun;
    memory_.map(0, 3 * run, vx::kRead | vx::kWrite);
    std::vector<std::pair<uint16_t, uint32_t>> released;
    memory_.set_copy_release([&](uint16_t tag, uint32_t r) { released.push_back({tag, r}); });
    memory_.set_admission([](uint64_t) { return false; });
    memory_.mark_copy_pending(3);
    memory_.forget_copies();
    EXPECT_EQ(released.size(), 3u);
    EXPECT_TRUE(memory_.pending_copies().empty());
    // Still safe to write (admitted first), and nobody is told again.
    const uint32_t value = 1;
    EXPECT_FALSE(memory_.write(run, &value, sizeof value));
    memory_.set_admission([](uint64_t) { return true; });
    EXPECT_TRUE(memory_.write(run, &value, sizeof value));
    EXPECT_EQ(released.size(), 3u);
}

}  // namespace

namespace {

TEST(GuestMemoryLengths, HostLengthsThatWouldWrapAreRefused) {
    vx::GuestMemory memory(64u << 10);
    memory.map(0, 64u << 10, vx::kRead | vx::kWrite);
    EXPECT_FALSE(memory.accessible(1, UINT64_MAX, vx::kNone));
    EXPECT_FALSE(memory.accessible(1, UINT64_MAX, vx::kRead));
    char buffer[4];
    EXPECT_FALSE(memory.read(1, buffer, SIZE_MAX));
}

}  // namespace
