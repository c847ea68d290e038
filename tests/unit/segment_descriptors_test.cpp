// SegmentDescriptors: what a user-mode load of a selector into %fs or %gs
// gives, as a CPU decides it from the descriptors the host defined.
#include <gtest/gtest.h>

#include "vx/segment_descriptors.h"

namespace {

constexpr uint16_t selector(unsigned index, unsigned rpl = 3, bool ldt = false) {
    return uint16_t(index << 3 | (ldt ? 4 : 0) | rpl);
}

TEST(SegmentDescriptors, NullSelectorsLoadBaseZeroWhateverTheirRpl) {
    vx::SegmentDescriptors table;
    for (uint16_t null = 0; null < 4; ++null) EXPECT_EQ(table.resolve(null), 0u) << null;
}

TEST(SegmentDescriptors, ADefinedEntryLoadsItsBaseAtAnyRpl) {
    vx::SegmentDescriptors table;
    ASSERT_TRUE(table.set(12, 0x12345000));
    // DPL 3 entries: neither RPL > DPL nor CPL > DPL can hold for them.
    for (unsigned rpl = 0; rpl < 4; ++rpl) EXPECT_EQ(table.resolve(selector(12, rpl)), 0x12345000u) << rpl;
    EXPECT_EQ(table.base(12), 0x12345000u);
    ASSERT_TRUE(table.set(12, 0xfffff000));
    EXPECT_EQ(table.resolve(selector(12)), 0xfffff000u) << "set again: the new base";
}

TEST(SegmentDescriptors, WhatNamesNoDefinedGdtEntryIsRefused) {
    vx::SegmentDescriptors table;
    ASSERT_TRUE(table.set(12, 0x1000));
    EXPECT_FALSE(table.resolve(selector(13))) << "an entry never defined";
    EXPECT_FALSE(table.resolve(selector(11)));
    EXPECT_FALSE(table.resolve(selector(12, 3, true))) << "the same index in the LDT, which the guest has none of";
    EXPECT_FALSE(table.resolve(selector(0, 0, true))) << "an LDT selector of index 0 is no null selector";
    EXPECT_FALSE(table.resolve(selector(0, 3, true)));
    EXPECT_FALSE(table.resolve(selector(8191)));
    EXPECT_FALSE(table.resolve(0xffff));
}

TEST(SegmentDescriptors, OnlyIndexesASelectorNamesCanBeDefined) {
    vx::SegmentDescriptors table;
    EXPECT_FALSE(table.set(0, 0x1000)) << "the null descriptor";
    EXPECT_FALSE(table.set(vx::SegmentDescriptors::kEntries, 0x1000));
    EXPECT_FALSE(table.set(0x10000 + 12, 0x1000)) << "no wrapping into a 16-bit index";
    EXPECT_TRUE(table.entries().empty());
    EXPECT_FALSE(table.resolve(selector(12)));
    EXPECT_TRUE(table.set(vx::SegmentDescriptors::kEntries - 1, 0x2000));
    EXPECT_EQ(table.resolve(0xfffb), 0x2000u) << "the last entry";
}

TEST(SegmentDescriptors, AClearedEntryIsRefusedAgain) {
    vx::SegmentDescriptors table;
    ASSERT_TRUE(table.set(12, 0x1000));
    ASSERT_TRUE(table.set(13, 0x2000));
    table.clear(12);
    table.clear(14);                  // never defined: nothing to do
    table.clear(0x10000 + 13);        // beyond the table: nothing, and no wrapping
    EXPECT_FALSE(table.resolve(selector(12)));
    EXPECT_FALSE(table.base(12));
    EXPECT_EQ(table.resolve(selector(13)), 0x2000u);
    EXPECT_EQ(table.entries().size(), 1u);
}

TEST(SegmentDescriptors, EqualWhenTheyDefineTheSameEntries) {
    vx::SegmentDescriptors a, b;
    EXPECT_EQ(a, b);
    a.set(12, 0x1000);
    EXPECT_NE(a, b);
    b.set(12, 0x2000);
    EXPECT_NE(a, b);
    b.set(12, 0x1000);
    EXPECT_EQ(a, b);
    a.clear(12);
    b.clear(12);
    EXPECT_EQ(a, b);
}

}  // namespace
