// Defense in depth in the host's address space: the translated code is never
// writable where it runs, the runtime's data sits between guard pages, and
// none of it lies where a guest address can reach.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "vx/elf_loader.h"
#include "vx/sandbox.h"
#include "vx/snapshot.h"

namespace {

struct Mapping {
    uint64_t begin, end;
    std::string perms;
};

std::vector<Mapping> host_mappings() {
    std::vector<Mapping> result;
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        Mapping m;
        char dash;
        std::istringstream in(line);
        in >> std::hex >> m.begin >> dash >> m.end >> m.perms;
        result.push_back(m);
    }
    return result;
}

// The permissions of the host page holding `address` ("" when unmapped).
std::string perms_at(const std::vector<Mapping>& maps, uint64_t address) {
    for (const Mapping& m : maps)
        if (address >= m.begin && address < m.end) return m.perms.substr(0, 3);
    return "";
}

// A sandbox that has translated and run some code, so the engine's data is
// all in use.
class HostLayoutTest : public ::testing::Test {
protected:
    HostLayoutTest() : sandbox_(vx::SandboxOptions{.memory_size = 16u << 20}) {
        auto& memory = sandbox_.memory();
        memory.map(0x10000, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
        memory.map(0x20000, 0x10000, vx::kRead | vx::kWrite);
        // mov eax, 1; add eax, eax; int $0x80
        const uint8_t code[] = {0xb8, 1, 0, 0, 0, 0x01, 0xc0, 0xcd, 0x80};
        memory.write(0x10000, code, sizeof code);
        sandbox_.registers().eip = 0x10000;
        sandbox_.registers().esp = 0x30000;
        EXPECT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    }
    vx::Sandbox sandbox_;
};

TEST_F(HostLayoutTest, NoHostMappingIsWritableAndExecutable) {
    for (const Mapping& m : host_mappings())
        EXPECT_FALSE(m.perms[1] == 'w' && m.perms[2] == 'x')
            << std::hex << m.begin << "-" << m.end << " " << m.perms;
}

TEST_F(HostLayoutTest, TheCodeCacheRunsReadOnlyAndIsWrittenWhereItCannotRun) {
    auto maps = host_mappings();
    int seen = 0;
    for (const vx::HostRegion& r : sandbox_.host_regions()) {
        std::string what = r.what;
        if (what == "code cache") {
            EXPECT_EQ(perms_at(maps, r.begin), "r-x");
            ++seen;
        } else if (what == "code cache (writable view)") {
            // Sealed when the guest ran (it made a system call since), and
            // until the translator needs it again.
            EXPECT_EQ(perms_at(maps, r.begin), "---");
            ++seen;
        }
    }
    EXPECT_EQ(seen, 2);
}

TEST_F(HostLayoutTest, RuntimeDataSitsBetweenGuardPages) {
    auto maps = host_mappings();
    auto regions = sandbox_.host_regions();
    ASSERT_GE(regions.size(), 4u);
    for (const vx::HostRegion& r : regions) {
        if (std::string(r.what) == "guest memory") continue;
        if (std::string(r.what) != "code cache (writable view)") {  // (sealed: inaccessible)
            EXPECT_NE(perms_at(maps, r.begin), "---") << r.what;
        }
        bool starts_here = false, ends_here = false;
        for (const Mapping& m : maps) starts_here |= m.begin == r.begin, ends_here |= m.end == r.begin + r.size;
        EXPECT_TRUE(starts_here && ends_here) << r.what << ": not a mapping of its own";
        EXPECT_EQ(perms_at(maps, r.begin - 1), "---") << r.what << ": the page before";
        EXPECT_EQ(perms_at(maps, r.begin + r.size), "---") << r.what << ": the page after";
    }
}

TEST_F(HostLayoutTest, NoRuntimeDataIsWithinReachOfAGuestAddress) {
    auto regions = sandbox_.host_regions();
    ASSERT_EQ(std::string(regions[0].what), "guest memory");
    const uint64_t guest_begin = regions[0].begin, guest_end = guest_begin + regions[0].size;
    EXPECT_GE(regions[0].size, 1ull << 32);  // every 32-bit address, and more, is the guest's
    for (size_t i = 1; i < regions.size(); ++i) {
        const vx::HostRegion& r = regions[i];
        EXPECT_TRUE(r.begin + r.size <= guest_begin || r.begin >= guest_end)
            << r.what << " at " << std::hex << r.begin << " overlaps the guest's reservation";
    }
}

TEST_F(HostLayoutTest, TheGuestReservationIsInaccessibleBeyondItsMemory) {
    // Past the guest's 16 MiB, all the way to the end of the reservation.
    auto maps = host_mappings();
    const uint64_t base = sandbox_.host_regions()[0].begin;
    for (uint64_t offset : {16ull << 20, 1ull << 31, (1ull << 32) - 4096, 1ull << 32})
        EXPECT_EQ(perms_at(maps, base + offset), "---") << std::hex << offset;
}

}  // namespace

namespace {

bool cpu_has_protection_keys() {
    uint32_t a, b, c, d;
    asm("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    return c & (1u << 4);  // OSPKE: the OS enabled them, rdpkru works
}

bool os_enables_pkru_in_xcr0() {
    uint32_t a, b, c, d;
    asm("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
    if (!(c & (1u << 27))) return false;  // OSXSAVE: xgetbv works
    uint32_t xcr0, xcr0_high;
    asm volatile("xgetbv" : "=a"(xcr0), "=d"(xcr0_high) : "c"(0));
    return xcr0 & (1u << 9);
}

uint32_t host_pkru() {
    uint32_t pkru, edx;
    asm volatile("rdpkru" : "=a"(pkru), "=d"(edx) : "c"(0));
    return pkru;
}

uint64_t xstate_bv_of(const std::vector<uint8_t>& image) {
    uint64_t bv;
    std::memcpy(&bv, image.data() + 512, 8);
    return bv;
}

}  // namespace

TEST_F(HostLayoutTest, TheHostThreadKeepsItsProtectionKeys) {
    if (!cpu_has_protection_keys()) GTEST_SKIP() << "this CPU or kernel has no protection keys";
    const uint32_t before = host_pkru();
    sandbox_.registers().eip = 0x10000;
    ASSERT_EQ(sandbox_.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(host_pkru(), before);
}

TEST_F(HostLayoutTest, AGuestImageCannotCarryTheHostsComponents) {
    std::vector<uint8_t> image = sandbox_.extended_state();
    ASSERT_GE(image.size(), 576u);
    auto with_component = [&](unsigned bit) {
        std::vector<uint8_t> forged = image;
        uint64_t bv = xstate_bv_of(forged) | (1ull << bit);
        std::memcpy(forged.data() + 512, &bv, 8);
        return forged;
    };
    EXPECT_TRUE(sandbox_.set_extended_state(with_component(1)));  // SSE: the guest's own
    if (os_enables_pkru_in_xcr0()) {
        // PKRU (as Linux's signal frames carry it) is accepted and dropped.
        EXPECT_TRUE(sandbox_.set_extended_state(with_component(9)));
        EXPECT_EQ(xstate_bv_of(sandbox_.extended_state()) & (1u << 9), 0u);
    } else {
        // Not enabled in XCR0 here: xrstor would fault on it, so it is refused.
        std::printf("XCR0 has no PKRU here: an image carrying it is refused\n");
        EXPECT_FALSE(sandbox_.set_extended_state(with_component(9)));
    }
    // AMX tile data is refused.
    EXPECT_FALSE(sandbox_.set_extended_state(with_component(18)));
}

namespace {

// What a snapshot-backed sandbox costs in host mappings (vm.max_map_count,
// 65530 by default, bounds them for the whole process): the plug-in of the
// unit tests with a stack and a data region, three guest regions apart.
class SandboxMappingsTest : public ::testing::Test {
protected:
    void SetUp() override {
#if defined(__SANITIZE_ADDRESS__)
        GTEST_SKIP() << "AddressSanitizer maps its own shadow and allocator memory as sandboxes are made, "
                        "so the process's mappings do not count a sandbox's";
#endif
        std::ifstream in(std::string(VX_GUEST_DIR) + "/plugin_functions", std::ios::binary);
        file_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        ASSERT_FALSE(file_.empty());
        vx::Sandbox prepared(vx::SandboxOptions{.memory_size = 256u << 20});
        prepared.load_program(file_);
        ASSERT_TRUE(prepared.memory().map(kStack, kStackSize, vx::kRead | vx::kWrite));
        ASSERT_TRUE(prepared.memory().map(kData, 64 * vx::kPageSize, vx::kRead | vx::kWrite));
        prepared.registers().esp = kStack + kStackSize;
        snapshot_ = prepared.snapshot();
    }
    void expect_add_returns(vx::Sandbox& sandbox) {
        const uint32_t args[] = {40, 2};
        const vx::CallResult result = sandbox.call(*vx::elf_symbol(file_, "add"), args);
        ASSERT_TRUE(result.returned) << vx::describe(result.event);
        EXPECT_EQ(result.eax(), 42u);
    }
    static constexpr uint32_t kStack = 0x0ff00000, kStackSize = 64u << 10, kData = 0x0f000000;
    std::vector<uint8_t> file_;
    std::shared_ptr<const vx::Snapshot> snapshot_;
};

// Three guest regions are at most seven mappings (the regions and the
// inaccessible stretches around them); the guest's page tables one; the
// engine's at most six: its guard page below, the runtime data, the code
// cache's writable view between its two guard pages (a mapping of its own,
// sealed or open: neither ever splits one) and its executable view (its
// guard above is the guest's reservation's start). 16 before they shared
// one reservation; 13-14 here, as neighbours merge.
constexpr long kMappingsPerSandbox = 7 + 1 + 6;

TEST_F(SandboxMappingsTest, ASandboxFromASnapshotTakesAtMostFourteenHostMappingsIdleOrCalled) {
    std::vector<std::unique_ptr<vx::Sandbox>> sandboxes;
    sandboxes.push_back(std::make_unique<vx::Sandbox>(*snapshot_));  // (the allocator's first chunks, made)
    constexpr int kMore = 8;
    const size_t before = host_mappings().size();
    for (int i = 0; i < kMore; ++i) sandboxes.push_back(std::make_unique<vx::Sandbox>(*snapshot_));
    const size_t idle = host_mappings().size();
    // (+2, not per sandbox: the heap's own chunks, and an engine the host
    // had no room for right below its guest, whose guard then stands alone.)
    constexpr long kSlack = 2;
    EXPECT_LE(long(idle - before), kMore * kMappingsPerSandbox + kSlack) << "idle";
    for (size_t i = 1; i < sandboxes.size(); ++i) expect_add_returns(*sandboxes[i]);
    const size_t called = host_mappings().size();
    EXPECT_LE(long(called - before), kMore * kMappingsPerSandbox + kSlack) << "after a call each";
    std::printf("%d sandboxes: %ld host mappings idle, %ld after a call each\n", kMore, long(idle - before),
                long(called - before));
}

// Opening the writable view for the translator, and sealing it again, only
// change the protection of a mapping of its own: at the host's map count
// (many sandboxes), where a split would be refused, neither can fail; the
// stop that unchains blocks from a signal handler opens it too.
TEST_F(SandboxMappingsTest, TheWritableViewIsAMappingOfItsOwnSealedOrOpen) {
    vx::Sandbox sandbox(*snapshot_);
    expect_add_returns(sandbox);
    const auto maps = host_mappings();
    for (const vx::HostRegion& r : sandbox.host_regions()) {
        if (std::string(r.what) != "code cache (writable view)") continue;
        for (const Mapping& m : maps)
            if (r.begin >= m.begin && r.begin < m.end) {
                EXPECT_EQ(m.perms.substr(0, 3), "---") << "sealed";
                EXPECT_EQ(m.begin, r.begin) << "a mapping of its own";
                EXPECT_EQ(m.end, r.begin + r.size) << "a mapping of its own";
                EXPECT_EQ(perms_at(maps, r.begin - 1), "---") << "the guard page below";
                EXPECT_EQ(perms_at(maps, r.begin + r.size), "---") << "the guard page above";
                return;
            }
    }
    ADD_FAILURE() << "no writable view of the code cache in the host's mappings";
}

// At the host's map count: a sandbox made before translates its first
// block (opening the writable view) and its call ends, returned or with
// the host mappings limit; the process goes on.
TEST_F(SandboxMappingsTest, AFirstCallAtTheHostsMapCountEndsAndTheHostGoesOn) {
    {
        // This thread has run a guest before (its signal stack is made).
        vx::Sandbox other(*snapshot_);
        expect_add_returns(other);
    }
    vx::Sandbox sandbox(*snapshot_);
    // Single pages of alternating protection, none merging with the last,
    // until the host refuses one more.
    std::vector<void*> filler;
    filler.reserve(1u << 20);  // nothing of the test's own to allocate at the map count
    for (int prot = PROT_READ;; prot = prot == PROT_READ ? PROT_NONE : PROT_READ) {
        void* page = mmap(nullptr, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED) break;
        filler.push_back(page);
        ASSERT_LT(filler.size(), filler.capacity()) << "the host never refused a mapping";
    }
    // Room for none: what a call needs must not split a mapping, or fail as a limit.
    const uint32_t args[] = {40, 2};
    const vx::CallResult result = sandbox.call(*vx::elf_symbol(file_, "add"), args);
    for (void* page : filler) munmap(page, 4096);
    if (result.returned) {
        EXPECT_EQ(result.eax(), 42u);
    } else {
        ASSERT_EQ(result.event.kind, vx::EventKind::LimitExceeded) << vx::describe(result.event);
        EXPECT_EQ(result.event.limit_exceeded.limit, vx::Limit::HostMappings);
    }
    std::printf("%zu pages mapped to reach the map count; the call %s\n", filler.size(),
                result.returned ? "returned" : "ended with the host mappings limit");
}

}  // namespace
