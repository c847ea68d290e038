// The tree's CPU time and fuel budgets (tree_budgets.h): what slice of what
// the tree has left a process's sandbox gets (alone, all of it; with
// others, a share that leaves them as much, never below the least slice nor
// above what is left), and which part of a forked child's CPU count is its
// own.
#include <gtest/gtest.h>

#include "os/linux_i386/tree_budgets.h"

namespace {

using vx::os::linux_i386::TreeBudgets;

constexpr uint64_t kSecond = 1'000'000'000;

TreeBudgets cpu_budget(uint64_t ns) {
    TreeBudgets budgets;
    budgets.hold(ns, std::nullopt);
    return budgets;
}

TreeBudgets fuel_budget(uint64_t fuel) {
    TreeBudgets budgets;
    budgets.hold(std::nullopt, fuel);
    return budgets;
}

TEST(TreeBudgets, HoldsTheFirstProcesssLimits) {
    TreeBudgets none;
    EXPECT_FALSE(none.cpu_ns());
    EXPECT_FALSE(none.fuel());
    TreeBudgets both;
    both.hold(2 * kSecond, 1'000'000);
    EXPECT_EQ(both.cpu_ns(), 2 * kSecond);
    EXPECT_EQ(both.fuel(), 1'000'000u);
}

TEST(TreeBudgets, AProcessAloneGetsAllTheCpuLeft) {
    TreeBudgets budgets = cpu_budget(10 * kSecond);
    EXPECT_EQ(budgets.cpu_slice(0, 1), 10 * kSecond);  // as if it never forked
    EXPECT_EQ(budgets.cpu_slice(4 * kSecond, 1), 6 * kSecond);
    EXPECT_EQ(budgets.cpu_slice(4 * kSecond, 0), 6 * kSecond);
}

TEST(TreeBudgets, WithOthersACpuSliceLeavesThemAsMuch) {
    TreeBudgets budgets = cpu_budget(10 * kSecond);
    // Four running: an eighth of what is left, the rest for the other three and after.
    EXPECT_EQ(budgets.cpu_slice(2 * kSecond, 4), kSecond);
    EXPECT_EQ(budgets.cpu_slice(0, 2), 10 * kSecond / 4);
}

TEST(TreeBudgets, ACpuSliceIsNeverBelowTheLeastNorAboveWhatIsLeft) {
    TreeBudgets budgets = cpu_budget(10 * kSecond);
    const uint64_t least = TreeBudgets::kMinCpuSliceNs;
    EXPECT_EQ(budgets.cpu_slice(10 * kSecond - 10 * least, 100), least);  // a 200th would be less
    EXPECT_EQ(budgets.cpu_slice(10 * kSecond - least / 2, 100), least / 2);  // all that is left
    EXPECT_EQ(budgets.cpu_slice(10 * kSecond - 1, 3), 1u);
}

TEST(TreeBudgets, NoCpuSliceOnceTheTreeHasUsedItsBudget) {
    TreeBudgets budgets = cpu_budget(10 * kSecond);
    EXPECT_FALSE(budgets.cpu_slice(10 * kSecond, 1));
    EXPECT_FALSE(budgets.cpu_slice(11 * kSecond, 3));  // overshot by the others' slices
}

TEST(TreeBudgets, AForkedChildsOwnCpuTimeStartsAtTheFork) {
    TreeBudgets budgets = cpu_budget(10 * kSecond);
    EXPECT_EQ(budgets.own_cpu_time(3 * kSecond), 3 * kSecond);  // the first process: all of it
    budgets.inherit_cpu(3 * kSecond);  // the parent's count when it forked
    EXPECT_EQ(budgets.own_cpu_time(3 * kSecond), 0u);
    EXPECT_EQ(budgets.own_cpu_time(5 * kSecond), 2 * kSecond);
    EXPECT_EQ(budgets.own_cpu_time(2 * kSecond), 0u);  // never less than nothing
}

TEST(TreeBudgets, AProcessAloneDrawsAllTheFuelLeft) {
    TreeBudgets budgets = fuel_budget(1'000'000'000);
    EXPECT_EQ(budgets.fuel_slice(700'000'000, 1), 700'000'000u);
    EXPECT_EQ(budgets.fuel_slice(5, 1), 5u);
}

TEST(TreeBudgets, WithOthersAFuelSliceIsAShareAndAtMostAPartOfTheBudget) {
    TreeBudgets budgets = fuel_budget(1'000'000'000);
    // Much left: the budget's share caps it (1/32 of the budget a process).
    EXPECT_EQ(budgets.fuel_slice(1'000'000'000, 2), 1'000'000'000u / (TreeBudgets::kFuelSliceShare * 2));
    // Little left: a share that leaves the others as much.
    EXPECT_EQ(budgets.fuel_slice(8'000'000, 4), 1'000'000u);
}

TEST(TreeBudgets, AFuelSliceIsNeverBelowTheLeastNorAboveWhatIsLeft) {
    TreeBudgets budgets = fuel_budget(1'000'000'000);
    const uint64_t least = TreeBudgets::kMinFuelSlice;
    EXPECT_EQ(budgets.fuel_slice(10 * least, 100), least);
    EXPECT_EQ(budgets.fuel_slice(least / 2, 100), least / 2);
    EXPECT_EQ(budgets.fuel_slice(1, 2), 1u);
}

}  // namespace
