// set_thread_area's TLS entries (thread_areas.h): the kernel's rules for
// which user_desc is a TLS segment, which deletes an entry, entry_number -1
// picking the lowest free entry, EINVAL and ESRCH, and what get_thread_area
// reads back.
#include <gtest/gtest.h>

#include <cerrno>

#include "os/linux_i386/thread_areas.h"

namespace {

using vx::os::linux_i386::kFirstTlsEntry;
using vx::os::linux_i386::kTlsEntries;
using vx::os::linux_i386::kUserDescNotPresent;
using vx::os::linux_i386::kUserDescReadExecOnly;
using vx::os::linux_i386::kUserDescSeg32Bit;
using vx::os::linux_i386::ThreadAreas;
using vx::os::linux_i386::UserDesc;

// What glibc asks for: seg_32bit, limit_in_pages, useable; 4 GiB.
constexpr uint32_t kGlibcFlags = 0x51;
constexpr uint32_t kBase = 0x0804c000;

UserDesc tls(uint32_t entry, uint32_t base = kBase) { return {entry, base, 0xfffff, kGlibcFlags}; }
UserDesc empty(uint32_t entry) { return {entry, 0, 0, kUserDescReadExecOnly | kUserDescNotPresent}; }

// check() then store(), as set_thread_area does: the entry set, or -errno.
int32_t set(ThreadAreas& areas, UserDesc desc) {
    if (int32_t error = areas.check(desc); error < 0) return error;
    areas.store(desc);
    return int32_t(desc.entry_number);
}

bool held(const ThreadAreas& areas, uint32_t entry) {
    return !(areas.read(entry)->flags & kUserDescNotPresent);
}

TEST(ThreadAreas, AnyFreePicksTheLowestFreeEntry) {
    ThreadAreas areas;
    UserDesc desc = tls(ThreadAreas::kAnyFree);
    ASSERT_EQ(areas.check(desc), 0);
    EXPECT_EQ(desc.entry_number, kFirstTlsEntry);  // what the guest reads back
    EXPECT_EQ(areas.store(desc), kBase);
    EXPECT_EQ(set(areas, tls(ThreadAreas::kAnyFree)), 13);
    EXPECT_EQ(set(areas, tls(ThreadAreas::kAnyFree)), 14);
}

TEST(ThreadAreas, AnyFreeIsEsrchWhenAllAreTaken) {
    ThreadAreas areas;
    for (uint32_t entry = kFirstTlsEntry; entry < kFirstTlsEntry + kTlsEntries; ++entry)
        ASSERT_EQ(set(areas, tls(entry)), int32_t(entry));
    UserDesc desc = tls(ThreadAreas::kAnyFree);
    EXPECT_EQ(areas.check(desc), -ESRCH);
    EXPECT_EQ(desc.entry_number, ThreadAreas::kAnyFree);  // nothing chosen
    // A deleted entry is free again.
    ASSERT_EQ(set(areas, empty(13)), 13);
    EXPECT_EQ(set(areas, tls(ThreadAreas::kAnyFree)), 13);
}

TEST(ThreadAreas, EntriesOutsideTheTlsOnesAreEinval) {
    ThreadAreas areas;
    for (uint32_t entry : {0u, 6u, 11u, 15u, 0x7fffffffu, 0xfffffffeu}) {
        UserDesc desc = tls(entry);
        EXPECT_EQ(areas.check(desc), -EINVAL) << entry;
        EXPECT_FALSE(areas.read(entry)) << entry;
    }
    UserDesc deletion = empty(15);
    EXPECT_EQ(areas.check(deletion), -EINVAL);
}

TEST(ThreadAreas, OnlyPresent32BitDataSegmentsAreTls) {
    ThreadAreas areas;
    UserDesc sixteen_bit = tls(12);
    sixteen_bit.flags &= ~kUserDescSeg32Bit;
    EXPECT_EQ(areas.check(sixteen_bit), -EINVAL);
    UserDesc code = tls(12);
    code.flags |= 2u << 1;  // contents 2: a code segment
    EXPECT_EQ(areas.check(code), -EINVAL);
    UserDesc not_present = tls(12);
    not_present.flags |= kUserDescNotPresent;
    EXPECT_EQ(areas.check(not_present), -EINVAL);
    UserDesc expands_down = tls(12);
    expands_down.flags |= 1u << 1;  // contents 1: data, expanding down
    EXPECT_EQ(areas.check(expands_down), 0);
    EXPECT_FALSE(held(areas, 12));  // checked, not set
    // A bad one is refused before an entry is chosen.
    UserDesc any_code = code;
    any_code.entry_number = ThreadAreas::kAnyFree;
    EXPECT_EQ(areas.check(any_code), -EINVAL);
    EXPECT_EQ(any_code.entry_number, ThreadAreas::kAnyFree);
}

TEST(ThreadAreas, AnEmptyOrAllZeroUserDescDeletes) {
    ThreadAreas areas;
    ASSERT_EQ(set(areas, tls(12)), 12);
    ASSERT_EQ(set(areas, tls(13)), 13);
    UserDesc ldt_empty = empty(12);
    ASSERT_EQ(areas.check(ldt_empty), 0);
    EXPECT_FALSE(areas.store(ldt_empty));  // no base: the sandbox's descriptor goes
    EXPECT_FALSE(held(areas, 12));
    UserDesc zeros{13, 0, 0, 0};
    ASSERT_EQ(areas.check(zeros), 0);
    EXPECT_FALSE(areas.store(zeros));
    EXPECT_FALSE(held(areas, 13));
}

TEST(ThreadAreas, AZeroBaseSegmentIsNotADeletion) {
    ThreadAreas areas;
    UserDesc zero_based{12, 0, 0, kUserDescSeg32Bit};  // base and limit 0, but a segment
    ASSERT_EQ(areas.check(zero_based), 0);
    EXPECT_EQ(areas.store(zero_based), 0u);
    EXPECT_TRUE(held(areas, 12));
}

TEST(ThreadAreas, GetReadsBackWhatWasSet) {
    ThreadAreas areas;
    UserDesc wide{14, kBase, 0xfff12345, kGlibcFlags | 0xff00};
    ASSERT_EQ(set(areas, wide), 14);
    std::optional<UserDesc> back = areas.read(14);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->entry_number, 14u);
    EXPECT_EQ(back->base_addr, kBase);
    EXPECT_EQ(back->limit, 0x12345u);   // 20 bits, as a descriptor holds it
    EXPECT_EQ(back->flags, kGlibcFlags);  // the bits the kernel keeps
}

TEST(ThreadAreas, AnEntryNeverSetReadsAsTheKernelsZeroedDescriptor) {
    ThreadAreas areas;
    std::optional<UserDesc> back = areas.read(13);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->entry_number, 13u);
    EXPECT_EQ(back->base_addr, 0u);
    EXPECT_EQ(back->limit, 0u);
    EXPECT_EQ(back->flags, kUserDescReadExecOnly | kUserDescNotPresent);
    // Which set_thread_area takes as a deletion.
    UserDesc again = *back;
    EXPECT_TRUE(ThreadAreas::deletes(again));
}

TEST(ThreadAreas, ANewImageHasNone) {
    ThreadAreas areas;
    for (uint32_t entry = kFirstTlsEntry; entry < kFirstTlsEntry + kTlsEntries; ++entry) set(areas, tls(entry));
    areas.clear();
    for (uint32_t entry = kFirstTlsEntry; entry < kFirstTlsEntry + kTlsEntries; ++entry)
        EXPECT_FALSE(held(areas, entry)) << entry;
    EXPECT_EQ(set(areas, tls(ThreadAreas::kAnyFree)), int32_t(kFirstTlsEntry));
}

}  // namespace
