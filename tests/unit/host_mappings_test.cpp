// The host mappings a guest's memory makes: counted and bounded by
// GuestMemory, and when the host itself refuses (its vm.max_map_count is
// reached, here by this test process taking nearly all of it), every change
// fails cleanly: nothing half done, no host write into a read-only page, no
// code left translated but writable. And Sandbox::blocking_host_call: what
// stops run() ends it.
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "vx/guest_memory.h"
#include "vx/sandbox.h"

namespace {

constexpr uint32_t kPage = vx::kPageSize;

TEST(HostMappings, GuestChangesPastTheLimitAreRefusedAndChangeNothing) {
    vx::GuestMemory memory(16u << 20, 64);
    const uint32_t base = 0x100000;
    ASSERT_TRUE(memory.map(base, 256 * kPage, vx::kRead | vx::kWrite));
    const uint32_t start = memory.host_mappings();
    uint32_t page = 1;
    while (memory.protect(base + page * kPage, kPage, vx::kRead)) page += 2;
    EXPECT_LE(memory.host_mappings(), 64u);
    EXPECT_GE(memory.host_mappings(), 63u);
    EXPECT_GT(memory.host_mappings(), start);
    // The refused page is as it was, for the guest and for the host.
    EXPECT_EQ(memory.perms_at(base + page * kPage), vx::kRead | vx::kWrite);
    uint32_t value = 42;
    EXPECT_TRUE(memory.write(base + page * kPage, &value, sizeof value));
    EXPECT_FALSE(memory.unmap(base + 200 * kPage, kPage));
    EXPECT_TRUE(memory.mapped(base + 200 * kPage));
    EXPECT_FALSE(memory.host_mapping_breach());  // the guest's own requests: ENOMEM, no stop
    // Joining gives mappings back.
    EXPECT_TRUE(memory.protect(base, 256 * kPage, vx::kRead | vx::kWrite));
    EXPECT_EQ(memory.host_mappings(), start);
    EXPECT_EQ(memory.host_mappings_peak() >= 63u, true);
}

// What Linux may keep apart is counted apart: a mapping filling the gap
// between two others (their memory may have different origins), a moved
// one, pages that stopped being writable; what it surely merges is not.
TEST(HostMappings, TheCountKeepsApartWhatLinuxMayNotMerge) {
    vx::GuestMemory memory(16u << 20);
    const uint32_t a = 0x100000;
    const uint32_t empty = memory.host_mappings();
    ASSERT_TRUE(memory.map(a, 4 * kPage, vx::kRead | vx::kWrite));
    ASSERT_TRUE(memory.map(a + 4 * kPage, 4 * kPage, vx::kRead | vx::kWrite));  // grows it, as brk does
    EXPECT_EQ(memory.host_mappings(), empty + 2);
    ASSERT_TRUE(memory.map(a + 9 * kPage, kPage, vx::kRead | vx::kWrite));
    EXPECT_EQ(memory.host_mappings(), empty + 4);
    ASSERT_TRUE(memory.map(a + 8 * kPage, kPage, vx::kRead | vx::kWrite));  // the gap between two
    EXPECT_EQ(memory.host_mappings(), empty + 3);
    ASSERT_TRUE(memory.protect(a + 2 * kPage, kPage, vx::kRead));
    ASSERT_TRUE(memory.protect(a + 2 * kPage, kPage, vx::kRead | vx::kWrite));
    EXPECT_EQ(memory.host_mappings(), empty + 3);  // writable again: merged again
    ASSERT_TRUE(memory.protect(a, 10 * kPage, vx::kRead));
    EXPECT_GE(memory.host_mappings(), empty + 3);  // (more, where it cannot know)
    ASSERT_TRUE(memory.unmap(a, 10 * kPage));
    EXPECT_EQ(memory.host_mappings(), empty);
}

TEST(HostMappings, CodeProtectionPastTheLimitStopsTheGuest) {
    vx::GuestMemory memory(16u << 20, 64);
    const uint32_t base = 0x100000;
    ASSERT_TRUE(memory.map(base, 512 * kPage, vx::kRead | vx::kWrite | vx::kExec));
    uint32_t page = 1;
    while (memory.protect_code(base + page * kPage)) page += 2;
    EXPECT_FALSE(memory.code_protected(base + page * kPage));
    ASSERT_TRUE(memory.host_mapping_breach());
    EXPECT_EQ(memory.host_mapping_breach()->limit, vx::Limit::HostMappings);
    EXPECT_EQ(memory.host_mapping_breach()->maximum, 64u);
}

// Takes host mappings (VMAs) of this process until Linux refuses one more:
// a PROT_NONE region split page by page. Given back when it goes.
class MapCountHog {
public:
    MapCountHog() {
        region_ = static_cast<char*>(mmap(nullptr, kPages * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
        if (region_ == MAP_FAILED) return;
        for (size_t p = 1; p + 1 < kPages; p += 2) {
            if (mprotect(region_ + p * kPage, kPage, PROT_READ) != 0) {
                full_ = errno == ENOMEM;
                break;
            }
            split_.push_back(p);
        }
    }
    ~MapCountHog() {
        if (region_ != MAP_FAILED) munmap(region_, kPages * kPage);
    }
    bool full() const { return full_; }
    // Gives back two mappings (one split joined again).
    void give_back_two() {
        mprotect(region_ + split_.back() * kPage, kPage, PROT_NONE);
        split_.pop_back();
    }

private:
    static constexpr size_t kPages = 300000;  // more splits than any vm.max_map_count default allows
    char* region_ = static_cast<char*>(MAP_FAILED);
    std::vector<size_t> split_;
    bool full_ = false;
};

TEST(HostMappings, WhenTheHostRefusesNothingIsHalfDoneAndNoHostWriteFaults) {
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer's own allocator needs new host mappings at any moment,
    // and aborts when the process is at its map count, as this test makes it.
    GTEST_SKIP() << "needs the process at vm.max_map_count, where AddressSanitizer cannot run";
#endif
    vx::GuestMemory memory(16u << 20);
    const uint32_t code = 0x100000, data = 0x200000;
    ASSERT_TRUE(memory.map(code, 3 * kPage, vx::kRead | vx::kWrite | vx::kExec));
    ASSERT_TRUE(memory.map(data, 16 * kPage, vx::kRead | vx::kWrite));
    for (uint32_t p = 0; p < 3; ++p) ASSERT_TRUE(memory.protect_code(code + p * kPage));
    std::vector<char> name(390, 'x');  // (allocated before the host runs out)
    {
        MapCountHog hog;
        if (!hog.full()) GTEST_SKIP() << "could not reach this host's vm.max_map_count";
        // A host write into the middle code page: its whole run becomes
        // writable, which splits nothing.
        EXPECT_TRUE(memory.write(code + kPage + 64, name.data(), name.size()));
        EXPECT_FALSE(memory.code_protected(code + kPage));
        // Protecting one page in a writable run needs a split: refused, and
        // the guest must stop.
        EXPECT_FALSE(memory.protect_code(code + kPage));
        EXPECT_FALSE(memory.code_protected(code + kPage));
        ASSERT_TRUE(memory.host_mapping_breach());
        EXPECT_EQ(memory.host_mapping_breach()->limit, vx::Limit::HostMappings);
        // A guest mprotect that splits: refused, nothing changed.
        EXPECT_FALSE(memory.protect(data + 4 * kPage, kPage, vx::kRead));
        EXPECT_EQ(memory.perms_at(data + 4 * kPage), vx::kRead | vx::kWrite);
        EXPECT_TRUE(memory.write(data + 4 * kPage, name.data(), 16));
        // A mapping over part of another: refused, the old pages still there.
        EXPECT_FALSE(memory.map(data + 8 * kPage, kPage, vx::kRead));
        EXPECT_TRUE(memory.mapped(data + 8 * kPage));
        EXPECT_TRUE(memory.write(data + 8 * kPage, name.data(), 16));
        // With room again, the same changes are made.
        hog.give_back_two();
        hog.give_back_two();
        EXPECT_TRUE(memory.protect(data + 4 * kPage, kPage, vx::kRead));
    }
    EXPECT_EQ(std::memcmp(memory.host_base() + code + kPage + 64, name.data(), name.size()), 0);
}

TEST(BlockingHostCall, InterruptEndsItFromAnotherThread) {
    vx::Sandbox sandbox;
    int ends[2];
    ASSERT_EQ(pipe(ends), 0);
    std::thread interrupter([&] {
        usleep(100000);
        sandbox.interrupt();
    });
    char byte;
    long result = sandbox.blocking_host_call(SYS_read, ends[0], reinterpret_cast<long>(&byte), 1);
    interrupter.join();
    EXPECT_EQ(result, -EINTR);
    EXPECT_TRUE(sandbox.stop_pending());
    close(ends[0]);
    close(ends[1]);
}

TEST(BlockingHostCall, APendingStopMakesNoCall) {
    vx::Sandbox sandbox;
    int ends[2];
    ASSERT_EQ(pipe(ends), 0);
    ASSERT_EQ(write(ends[1], "a", 1), 1);
    sandbox.interrupt();
    char byte;
    EXPECT_EQ(sandbox.blocking_host_call(SYS_read, ends[0], reinterpret_cast<long>(&byte), 1), -EINTR);
    // The byte is still there: the read was not made.
    EXPECT_EQ(read(ends[0], &byte, 1), 1);
    close(ends[0]);
    close(ends[1]);
}

TEST(BlockingHostCall, WithoutAStopItIsTheCall) {
    vx::Sandbox sandbox;
    int ends[2];
    ASSERT_EQ(pipe(ends), 0);
    ASSERT_EQ(write(ends[1], "a", 1), 1);
    char byte = 0;
    EXPECT_EQ(sandbox.blocking_host_call(SYS_read, ends[0], reinterpret_cast<long>(&byte), 1), 1);
    EXPECT_EQ(byte, 'a');
    EXPECT_EQ(sandbox.blocking_host_call(SYS_close, 1000), -EBADF);
    EXPECT_FALSE(sandbox.stop_pending());
    close(ends[0]);
    close(ends[1]);
}

}  // namespace
