// Resets and pools (docs/plugins.md, "Pools"): a tenant leaves secrets in
// memory (pages written, pages newly mapped, the stack), general, SSE/AVX
// and x87 registers, %fs/%gs and the descriptors (tests/unit/guests/tenant.c),
// and the next tenant of the sandbox, after a restore or from a pool, finds
// exactly what a new sandbox from the snapshot finds; code a tenant rewrote,
// or another snapshot's, is not run from old translations; a pool under
// several threads hands each lease a sandbox of its own, reset; the
// sandboxes' registry holds more than 4096 at once, and refuses clearly
// past its maximum.
#include <chrono>
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

#include "core/run_control.h"
#include "engines.h"
#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/sandbox.h"
#include "vx/sandbox_pool.h"
#include "vx/snapshot.h"

namespace {

constexpr uint32_t kPage = vx::kPageSize;
constexpr uint32_t kStackBase = 0x0ff00000, kStackSize = 64u << 10, kStackTop = kStackBase + kStackSize;
constexpr uint32_t kFresh = 0x0e000000;  // a page a tenant maps
constexpr uint32_t kCode = 0x0d000000;   // a page of code the host wrote, writable
constexpr uint32_t kBuffer = 0x0c000000, kBufferPages = 256;  // zeros, writable
constexpr uint32_t kSecret = 0x5ec2e7ed;
constexpr uint32_t kSecretSelector = 12 * 8 + 3;  // a descriptor a tenant sets
// mov eax, 1; ret
constexpr uint8_t kReturnOne[] = {0xb8, 0x01, 0, 0, 0, 0xc3};

std::vector<uint8_t> guest_file(const char* name) {
    std::ifstream in(std::string(VX_GUEST_DIR) + "/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

bool host_has_avx() { return __builtin_cpu_supports("avx"); }

class Tenants : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    void SetUp() override {
        file_ = guest_file("tenant");
        ASSERT_FALSE(file_.empty()) << "no guest tenant";
        vx::Sandbox prepared(vx::testing::on_engine(GetParam(), {.memory_size = 256u << 20}));
        prepared.load_program(file_);
        ASSERT_TRUE(prepared.memory().map(kStackBase, kStackSize, vx::kRead | vx::kWrite));
        ASSERT_TRUE(prepared.memory().map(kCode, kPage, vx::kRead | vx::kWrite | vx::kExec));
        ASSERT_TRUE(prepared.memory().write(kCode, kReturnOne, sizeof kReturnOne));
        ASSERT_TRUE(prepared.memory().map(kBuffer, kBufferPages * kPage, vx::kRead | vx::kWrite));
        prepared.registers().esp = kStackTop - 64;
        snapshot_ = prepared.snapshot();
    }

    uint32_t entry(const char* name) const { return vx::elf_symbol(file_, name).value(); }

    uint32_t call(vx::Sandbox& sandbox, const char* name, std::vector<uint32_t> args = {}) {
        return call_at(sandbox, entry(name), args);
    }
    static uint32_t call_at(vx::Sandbox& sandbox, uint32_t entry, std::vector<uint32_t> args = {}) {
        const vx::CallResult result = sandbox.call(entry, args);
        EXPECT_TRUE(result.returned) << vx::describe(result.event);
        return result.eax();
    }

    // Everything a tenant can leave: memory (the program's data and bss,
    // a page it maps, the stack below esp), registers of every kind run into
    // a stop, %fs/%gs and the descriptors.
    void leave_secrets(vx::Sandbox& sandbox) {
        call(sandbox, "write_data", {kSecret});
        ASSERT_TRUE(sandbox.memory().map(kFresh, kPage, vx::kRead | vx::kWrite));
        ASSERT_TRUE(sandbox.memory().write(kFresh + 16, &kSecret, sizeof kSecret));
        ASSERT_TRUE(sandbox.memory().write(kStackBase + 8, &kSecret, sizeof kSecret));
        ASSERT_TRUE(sandbox.set_descriptor(12, kSecret & ~0xfffu));
        ASSERT_TRUE(sandbox.load_segment(vx::SegmentRegister::gs, kSecretSelector));
        sandbox.set_segment(vx::SegmentRegister::fs, 0x2b, kSecret);
        vx::Registers& r = sandbox.registers();
        r.eip = entry("taint");
        r.eax = kSecret;
        r.ecx = host_has_avx();
        const vx::Event event = sandbox.run();
        ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
        ASSERT_EQ(r.ebx, kSecret);
        ASSERT_LT(r.esp, kStackTop - 64 - 4 * 64);  // it pushed the secret
    }

    // What a tenant finds: the guest's own look at its registers, the
    // host's at memory and the sandbox's state.
    struct Found {
        std::vector<uint8_t> dump, ymm;
        std::vector<uint32_t> words;  // data, bss, stack
        bool fresh_mapped;
        vx::Registers registers;
        std::vector<uint8_t> extended;
        vx::Segment fs, gs;
        vx::SegmentDescriptors descriptors;
        bool loads_secret_selector;  // the guest's own look at the descriptors
    };

    Found look(vx::Sandbox& sandbox) {
        Found found{};
        found.registers = sandbox.registers();
        found.extended = sandbox.extended_state();
        found.fs = sandbox.segment(vx::SegmentRegister::fs);
        found.gs = sandbox.segment(vx::SegmentRegister::gs);
        found.descriptors = sandbox.descriptors();
        found.fresh_mapped = sandbox.memory().mapped(kFresh);
        found.loads_secret_selector = sandbox.call(entry("load_gs"), std::vector<uint32_t>{kSecretSelector}).returned;
        const uint32_t data = call(sandbox, "data_address"), bss = call(sandbox, "bss_address");
        for (uint32_t at : {data, bss, bss + 1500 * 4}) found.words.push_back(call(sandbox, "read_word", {at}));
        uint32_t word = 0;
        EXPECT_TRUE(sandbox.memory().read(data, &word, 4));
        found.words.push_back(word);
        for (uint32_t at = kStackBase; at < kStackTop; at += 4) {
            EXPECT_TRUE(sandbox.memory().read(at, &word, 4));
            if (at < found.registers.esp - 64) found.words.push_back(word);  // below the call's frames
        }
        const uint32_t area = call(sandbox, "dump");
        found.dump.resize(248);
        EXPECT_TRUE(sandbox.memory().read(area, found.dump.data(), found.dump.size()));
        if (host_has_avx()) {
            call(sandbox, "dump_ymm");
            found.ymm.resize(128);
            EXPECT_TRUE(sandbox.memory().read(area + 256, found.ymm.data(), found.ymm.size()));
        }
        return found;
    }

    static bool holds_secret(const std::vector<uint8_t>& bytes) {
        for (size_t i = 0; i + 4 <= bytes.size(); ++i)
            if (std::memcmp(bytes.data() + i, &kSecret, 4) == 0) return true;
        return false;
    }

    void expect_as_new(const Found& seen, const Found& fresh) {
        EXPECT_FALSE(seen.fresh_mapped) << "the page the last tenant mapped";
        EXPECT_EQ(seen.words, fresh.words) << "memory the last tenant wrote";
        for (uint32_t w : seen.words) EXPECT_NE(w, kSecret);
        EXPECT_EQ(std::memcmp(&seen.registers, &fresh.registers, sizeof seen.registers), 0) << "general registers";
        EXPECT_EQ(seen.extended, fresh.extended) << "x87/SSE/AVX state";
        EXPECT_FALSE(holds_secret(seen.extended));
        EXPECT_EQ(seen.fs, fresh.fs);
        EXPECT_EQ(seen.gs, fresh.gs);
        EXPECT_EQ(seen.descriptors, fresh.descriptors);
        EXPECT_EQ(seen.loads_secret_selector, fresh.loads_secret_selector) << "the guest's descriptors";
        EXPECT_FALSE(seen.loads_secret_selector);
        EXPECT_EQ(seen.dump, fresh.dump) << "what the guest finds in its registers";
        EXPECT_FALSE(holds_secret(seen.dump));
        EXPECT_EQ(seen.ymm, fresh.ymm) << "ymm's upper halves";
        EXPECT_FALSE(holds_secret(seen.ymm));
    }

    vx::SandboxOptions options() const { return snapshot_->options(); }

    // Four threads, each `rounds` times: a sandbox from `take` (a lease or a
    // new sandbox) finds the snapshot's data word, writes its own and reads
    // it back. Returns the rounds that found anything else.
    template <class Take>
    int wrong_in_four_threads(Take take, uint32_t rounds) {
        const uint32_t read_word = entry("read_word"), write_data = entry("write_data");
        const uint32_t data = [&] {
            vx::Sandbox sandbox(*snapshot_);
            return call(sandbox, "data_address");
        }();
        std::atomic<int> wrong{0}, done{0};
        std::vector<std::thread> threads;
        for (uint32_t t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (uint32_t i = 0; i < rounds; ++i) {
                    auto taken = take();
                    vx::Sandbox& sandbox = *taken;
                    const uint32_t value = t << 16 | i;
                    // The last tenant's write is gone; this one's stays while it holds the sandbox.
                    const vx::CallResult found = sandbox.call(read_word, std::vector<uint32_t>{data});
                    wrong += !found.returned || found.eax() != 0x11111111u;
                    const vx::CallResult wrote = sandbox.call(write_data, std::vector<uint32_t>{value});
                    const vx::CallResult read = sandbox.call(read_word, std::vector<uint32_t>{data});
                    wrong += !wrote.returned || wrote.eax() != data || !read.returned || read.eax() != value;
                    ++done;
                }
            });
        for (auto& thread : threads) thread.join();
        EXPECT_EQ(done.load(), int(4 * rounds));
        return wrong.load();
    }

    std::vector<uint8_t> file_;
    std::shared_ptr<const vx::Snapshot> snapshot_;
};

TEST_P(Tenants, ARestoreLeavesNothingOfThePreviousTenant) {
    vx::Sandbox untouched(*snapshot_);
    const Found fresh = look(untouched);
    ASSERT_EQ(fresh.words.front(), 0x11111111u);

    vx::Sandbox sandbox(*snapshot_);
    leave_secrets(sandbox);
    sandbox.restore(*snapshot_);
    expect_as_new(look(sandbox), fresh);
    // And again, the second time from a sandbox that ran the checks' calls.
    leave_secrets(sandbox);
    sandbox.restore(*snapshot_);
    expect_as_new(look(sandbox), fresh);
}

// Restored again from the snapshot restored last, the few pages a guest
// wrote are copied back (their runs stay its own, writable, and counted);
// many, or after the memory limit, its runs are mapped anew (pending a copy
// again). Either way it reads the snapshot's contents.
TEST_P(Tenants, ARestoreCopiesBackAFewPagesWrittenAndMapsManyAnew) {
    vx::Sandbox sandbox(*snapshot_);
    const uint32_t data = call(sandbox, "data_address");
    ASSERT_TRUE(sandbox.memory().copy_pending(data));
    call(sandbox, "write_data", {kSecret});
    ASSERT_FALSE(sandbox.memory().copy_pending(data));
    const uint64_t own = sandbox.memory().own_bytes();
    EXPECT_GT(own, 0u);
    sandbox.restore(*snapshot_);
    EXPECT_FALSE(sandbox.memory().copy_pending(data)) << "copied back, not mapped anew";
    EXPECT_EQ(call(sandbox, "read_word", {data}), 0x11111111u);
    EXPECT_EQ(sandbox.memory().own_bytes(), own) << "the runs kept are still counted";

    // More pages than a restore copies: mapped anew.
    for (uint32_t p = 0; p < kBufferPages; ++p)
        ASSERT_TRUE(sandbox.memory().write(kBuffer + p * kPage + 8, &kSecret, sizeof kSecret));
    sandbox.restore(*snapshot_);
    uint32_t pending_runs = 0;
    for (uint32_t p = 0; p < kBufferPages; p += vx::GuestMemory::kCopyRun / kPage) {
        pending_runs += sandbox.memory().copy_pending(kBuffer + p * kPage);
        uint32_t word = 1;
        ASSERT_TRUE(sandbox.memory().read(kBuffer + p * kPage + 8, &word, sizeof word));
        EXPECT_EQ(word, 0u);
    }
    EXPECT_GE(pending_runs, 3u);
    for (uint32_t p = 0; p < kBufferPages; ++p) {
        uint32_t word = 1;
        ASSERT_TRUE(sandbox.memory().read(kBuffer + p * kPage + 8, &word, sizeof word));
        ASSERT_EQ(word, 0u) << "page " << p;
    }

    // A guest that reached the memory limit: everything mapped anew.
    vx::SandboxOptions limited = options();
    limited.limits.memory = 1u << 20;  // the buffer's four runs do not fit beside the rest
    vx::Sandbox bounded(*snapshot_, limited);
    call(bounded, "write_data", {kSecret});
    bool refused = false;
    for (uint32_t p = 0; p < kBufferPages && !refused; ++p)
        refused = !bounded.memory().write(kBuffer + p * kPage, &kSecret, sizeof kSecret);
    ASSERT_TRUE(refused);
    ASSERT_EQ(bounded.limit_exceeded().value_or(vx::LimitExceeded{}).limit, vx::Limit::Memory);
    bounded.restore(*snapshot_);
    EXPECT_FALSE(bounded.limit_exceeded());
    EXPECT_TRUE(bounded.memory().copy_pending(data));
    EXPECT_TRUE(bounded.memory().copy_pending(kBuffer));
    EXPECT_EQ(call(bounded, "read_word", {data}), 0x11111111u);
}

TEST_P(Tenants, APoolsNextLeaseFindsNothingOfThePrevious) {
    vx::Sandbox untouched(*snapshot_);
    const Found fresh = look(untouched);
    vx::SandboxPool pool(snapshot_, 1);
    const vx::Sandbox* first = nullptr;
    {
        vx::SandboxPool::Lease lease = pool.take();
        first = &*lease;
        leave_secrets(*lease);
    }
    vx::SandboxPool::Lease lease = pool.take();
    EXPECT_EQ(&*lease, first) << "the same sandbox, reset";
    expect_as_new(look(*lease), fresh);
}

TEST_P(Tenants, CodeATenantRewroteIsTheSnapshotsAgain) {
    vx::Sandbox sandbox(*snapshot_);
    EXPECT_EQ(call_at(sandbox, kCode), 1u);  // translated
    call(sandbox, "poke", {kCode + 1, 2});    // mov eax, 2
    EXPECT_EQ(call_at(sandbox, kCode), 2u);
    sandbox.restore(*snapshot_);
    EXPECT_EQ(call_at(sandbox, kCode), 1u) << "the old tenant's code ran";
    // The host's write too.
    const uint8_t three = 3;
    ASSERT_TRUE(sandbox.memory().write(kCode + 1, &three, 1));
    EXPECT_EQ(call_at(sandbox, kCode), 3u);
    sandbox.restore(*snapshot_);
    EXPECT_EQ(call_at(sandbox, kCode), 1u);
}

TEST_P(Tenants, AnotherSnapshotsCodeIsTranslatedAnew) {
    vx::Sandbox other(*snapshot_);
    const uint8_t four = 4;
    ASSERT_TRUE(other.memory().write(kCode + 1, &four, 1));
    const auto returns_four = other.snapshot();

    vx::Sandbox sandbox(*snapshot_);
    EXPECT_EQ(call_at(sandbox, kCode), 1u);
    sandbox.restore(*returns_four);
    EXPECT_EQ(call_at(sandbox, kCode), 4u);
    sandbox.restore(*snapshot_);
    EXPECT_EQ(call_at(sandbox, kCode), 1u);
}

TEST_P(Tenants, APoolsNextTenantStartsItsClocksAndTimeLimitsAnew) {
    vx::SandboxOptions with_limits = options();
    with_limits.limits.cpu_time_ns = 20'000'000'000;
    with_limits.limits.wall_time_ns = 60'000'000'000;
    vx::SandboxPool pool(snapshot_, with_limits, 1);
    const vx::Sandbox* first = nullptr;
    {
        vx::SandboxPool::Lease lease = pool.take();
        first = &*lease;
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
        while (std::chrono::steady_clock::now() < until) call(*lease, "write_data", {kSecret});
        ASSERT_GT(lease->usage().cpu_time_ns, 0u);
        lease->set_cpu_time_limit(100'000'000'000);
    }
    vx::SandboxPool::Lease lease = pool.take();
    ASSERT_EQ(&*lease, first) << "the same sandbox, reset";
    EXPECT_EQ(lease->usage().cpu_time_ns, 0u) << "the last tenant's CPU time";
    EXPECT_EQ(lease->usage().wall_time_ns, 0u) << "the last tenant's wall time";
    EXPECT_EQ(lease->limits().cpu_time_ns, 20'000'000'000u) << "the limit the last tenant moved";
    EXPECT_EQ(call(*lease, "read_word", {call(*lease, "data_address")}), 0x11111111u);
}

TEST_P(Tenants, APoolHandsOutAtMostItsSizeAndReplacesWhatCannotBeReused) {
    vx::SandboxPool pool(snapshot_, 2);
    EXPECT_EQ(pool.max_size(), 2u);
    EXPECT_EQ(pool.size(), 0u);
    {
        vx::SandboxPool::Lease a = pool.take();
        std::optional<vx::SandboxPool::Lease> b = pool.try_take();
        ASSERT_TRUE(b);
        EXPECT_NE(&*a, &**b);
        EXPECT_FALSE(pool.try_take()) << "a third sandbox";
        EXPECT_EQ(pool.size(), 2u);
        // A fault, then a tenant that left an interrupt pending.
        const vx::CallResult faulted = a->call(entry("read_word"), std::vector<uint32_t>{0});
        EXPECT_EQ(faulted.event.kind, vx::EventKind::Fault);
        (*b)->interrupt();
    }
    EXPECT_EQ(pool.size(), 1u) << "the interrupted sandbox is not reused";
    EXPECT_EQ(pool.idle(), 1u);
    for (int i = 0; i < 3; ++i) {
        vx::SandboxPool::Lease a = pool.take(), b = pool.take();
        EXPECT_EQ(call(*a, "read_word", {call(*a, "data_address")}), 0x11111111u);
        EXPECT_EQ(call(*b, "read_word", {call(*b, "data_address")}), 0x11111111u);
    }
    EXPECT_EQ(pool.size(), 2u);
    EXPECT_THROW(vx::SandboxPool(snapshot_, 0), vx::Error);
    vx::SandboxOptions other = options();
    other.memory_size = 128u << 20;
    EXPECT_THROW(vx::SandboxPool(snapshot_, other, 1), vx::Error);
}

TEST_P(Tenants, APoolServesSeveralThreadsAtOnce) {
    vx::SandboxPool pool(snapshot_, 3);  // fewer than the threads: some wait
    EXPECT_EQ(wrong_in_four_threads([&] { return pool.take(); }, 150), 0);
    EXPECT_LE(pool.size(), 3u);
    // Every sandbox it holds now is the snapshot's.
    std::vector<vx::SandboxPool::Lease> all;
    for (size_t i = 0; i < pool.size(); ++i) all.push_back(pool.take());
    for (auto& lease : all) EXPECT_EQ(call(*lease, "read_word", {call(*lease, "data_address")}), 0x11111111u);
}

TEST_P(Tenants, ManySandboxesFromOneSnapshotAtOnce) {
    // (10,000 in bench/plugin_bench.cpp, where the host's map count allows.)
    std::vector<std::unique_ptr<vx::Sandbox>> held;
    for (int i = 0; i < 300; ++i) held.push_back(std::make_unique<vx::Sandbox>(*snapshot_));
    uint32_t i = 0;
    for (auto& sandbox : held) {
        call(*sandbox, "write_data", {i});
        ++i;
    }
    i = 0;
    for (auto& sandbox : held) {
        EXPECT_EQ(call(*sandbox, "read_word", {call(*sandbox, "data_address")}), i);
        ++i;
    }
}

// Kept sandboxes (Snapshot::keep_sandboxes): a sandbox made from the
// snapshot after one was destroyed is made of its parts (the same host
// memory), and finds exactly what a sandbox made anew finds.
TEST_P(Tenants, ASandboxMadeOfAKeptOneFindsNothingOfThePrevious) {
    const Found fresh = [&] {
        vx::Sandbox untouched(*snapshot_);
        return look(untouched);
    }();
    snapshot_->keep_sandboxes(1);
    uint64_t first_base = 0;
    {
        vx::Sandbox sandbox(*snapshot_);
        first_base = sandbox.host_regions().front().begin;
        leave_secrets(sandbox);
    }
    EXPECT_EQ(snapshot_->sandboxes_kept(), 1u);
    vx::Sandbox sandbox(*snapshot_);
    EXPECT_EQ(snapshot_->sandboxes_kept(), 0u);
    EXPECT_EQ(sandbox.host_regions().front().begin, first_base) << "made of the kept sandbox's parts";
    expect_as_new(look(sandbox), fresh);
}

TEST_P(Tenants, CodeAKeptSandboxRewroteIsTheSnapshotsAgain) {
    snapshot_->keep_sandboxes(1);
    {
        vx::Sandbox sandbox(*snapshot_);
        EXPECT_EQ(call_at(sandbox, kCode), 1u);
        call(sandbox, "poke", {kCode + 1, 2});  // mov eax, 2
        EXPECT_EQ(call_at(sandbox, kCode), 2u);
    }
    vx::Sandbox sandbox(*snapshot_);
    EXPECT_EQ(snapshot_->sandboxes_kept(), 0u);
    EXPECT_EQ(call_at(sandbox, kCode), 1u) << "the old owner's code ran";
}

// Its fuel and counts are a new sandbox's; the code the last owner ran (and
// did not change) is not translated again.
TEST_P(Tenants, ASandboxMadeOfAKeptOneCountsAnewAndTranslatesNothingAgain) {
    snapshot_->keep_sandboxes(1);
    vx::SandboxOptions counted = options();
    counted.limits.instructions = 1'000'000;
    const uint64_t fresh_peak = [&] {
        vx::Sandbox untouched(*snapshot_, counted);
        return untouched.usage().host_mappings_peak;
    }();
    ASSERT_EQ(snapshot_->sandboxes_kept(), 1u);
    {
        vx::Sandbox sandbox(*snapshot_, counted);
        EXPECT_EQ(call(sandbox, "read_word", {call(sandbox, "data_address")}), 0x11111111u);
        EXPECT_GT(*sandbox.usage().instructions, 0u);
        EXPECT_GT(sandbox.usage().engine_stat("translations").value_or(0), 0u);
        // Pages of alternating permissions: many host mappings at once.
        for (uint32_t p = 0; p < 64; ++p)
            ASSERT_TRUE(sandbox.memory().protect(kBuffer + p * kPage, kPage, p % 2 ? vx::kRead : vx::kRead | vx::kWrite));
        ASSERT_GT(sandbox.usage().host_mappings_peak, fresh_peak + 32);
    }
    vx::Sandbox sandbox(*snapshot_, counted);
    EXPECT_EQ(snapshot_->sandboxes_kept(), 0u);
    EXPECT_EQ(sandbox.usage().host_mappings_peak, fresh_peak) << "the last owner's peak";
    EXPECT_EQ(sandbox.fuel(), 1'000'000u);
    EXPECT_EQ(sandbox.usage().instructions, 0u);
    EXPECT_EQ(sandbox.usage().engine_stat("translations"), 0u);
    EXPECT_EQ(call(sandbox, "read_word", {call(sandbox, "data_address")}), 0x11111111u);
    EXPECT_EQ(sandbox.usage().engine_stat("translations"), 0u) << "translated again";
    EXPECT_GT(*sandbox.usage().instructions, 0u);
    EXPECT_EQ(*sandbox.usage().instructions, 1'000'000u - *sandbox.fuel());
}

TEST_P(Tenants, OnlyASandboxOfTheSameOptionsTakesAKeptOne) {
    snapshot_->keep_sandboxes(2);
    uint64_t kept_base = 0;
    {
        vx::Sandbox sandbox(*snapshot_);
        kept_base = sandbox.host_regions().front().begin;
    }
    vx::SandboxOptions other = options();
    other.limits.memory = 64u << 20;
    vx::Sandbox limited(*snapshot_, other);
    EXPECT_NE(limited.host_regions().front().begin, kept_base);
    EXPECT_EQ(snapshot_->sandboxes_kept(), 1u);
    vx::Sandbox same(*snapshot_);
    EXPECT_EQ(same.host_regions().front().begin, kept_base);
    // A sandbox not made from the snapshot is not kept by it, even restored to it.
    {
        vx::Sandbox restored(options());
        restored.restore(*snapshot_);
    }
    EXPECT_EQ(snapshot_->sandboxes_kept(), 0u);
}

TEST_P(Tenants, AStoppedSandboxIsNotKeptAndKeepingFewerFreesTheRest) {
    snapshot_->keep_sandboxes(3);
    {
        vx::Sandbox sandbox(*snapshot_);
        sandbox.interrupt();
    }
    EXPECT_EQ(snapshot_->sandboxes_kept(), 0u) << "a sandbox left with an interrupt pending";
    {
        std::vector<std::unique_ptr<vx::Sandbox>> four;
        for (int i = 0; i < 4; ++i) four.push_back(std::make_unique<vx::Sandbox>(*snapshot_));
    }
    EXPECT_EQ(snapshot_->sandboxes_kept(), 3u) << "at most as many as asked";
    snapshot_->keep_sandboxes(1);
    EXPECT_EQ(snapshot_->sandboxes_kept(), 1u);
    snapshot_->keep_sandboxes(0);
    EXPECT_EQ(snapshot_->sandboxes_kept(), 0u);
}

TEST_P(Tenants, ASandboxOutlivingItsSnapshotIsDestroyedAsAnyOther) {
    snapshot_->keep_sandboxes(1);
    auto sandbox = std::make_unique<vx::Sandbox>(*snapshot_);
    std::weak_ptr<const vx::Snapshot> gone = snapshot_;
    snapshot_.reset();
    ASSERT_TRUE(gone.expired());
    EXPECT_EQ(call(*sandbox, "read_word", {call(*sandbox, "data_address")}), 0x11111111u);
    sandbox.reset();  // nothing to keep it in
}

TEST_P(Tenants, SeveralThreadsMakeAndDestroySandboxesOfOneSnapshotThatKeepsThem) {
    snapshot_->keep_sandboxes(2);  // fewer than the threads: some are made anew, some destroyed
    EXPECT_EQ(wrong_in_four_threads([&] { return std::make_unique<vx::Sandbox>(*snapshot_); }, 100), 0);
    EXPECT_EQ(snapshot_->sandboxes_kept(), 2u);
}

// What a process keeps for later (a snapshot's kept sandboxes, a pool's idle
// ones) is not handed out in a child of a plain fork(): the code cache
// is a shared mapping, so a child and its parent taking the same kept
// parts would translate into each other's code. Here each takes what it
// may, and each translates its next function at the same place in its
// cache (neither was translated before the fork); the child's translation
// must still be its own.
template <class Take>
void expect_fork_child_has_its_own(Take take, uint32_t data_address, uint32_t bss_address) {
    int to_parent[2], to_child[2];
    ASSERT_EQ(pipe(to_parent), 0);
    ASSERT_EQ(pipe(to_child), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    char token = 0;
    if (child == 0) {
        int status = 0;
        {
            auto taken = take();
            vx::Sandbox& sandbox = *taken;
            const vx::CallResult first = sandbox.call(data_address, std::vector<uint32_t>{});
            if (write(to_parent[1], "c", 1) != 1 || read(to_child[0], &token, 1) != 1) _exit(3);
            const vx::CallResult again = sandbox.call(data_address, std::vector<uint32_t>{});
            status = !first.returned || !again.returned ? 2 : first.eax() != again.eax() ? 1 : 0;
        }
        _exit(status);
    }
    ASSERT_EQ(read(to_parent[0], &token, 1), 1);
    {
        auto taken = take();
        const vx::CallResult bss = taken->call(bss_address, std::vector<uint32_t>{});
        EXPECT_TRUE(bss.returned);
    }
    ASSERT_EQ(write(to_child[1], "p", 1), 1);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) close(fd);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: the child ran its parent's translation";
}

TEST_P(Tenants, AKeptSandboxIsNotHandedOutInAForkedChild) {
    snapshot_->keep_sandboxes(1);
    { vx::Sandbox sandbox(*snapshot_); }
    ASSERT_EQ(snapshot_->sandboxes_kept(), 1u);
    expect_fork_child_has_its_own([&] { return std::make_unique<vx::Sandbox>(*snapshot_); }, entry("data_address"),
                                  entry("bss_address"));
}

TEST_P(Tenants, APoolsIdleSandboxIsNotHandedOutInAForkedChild) {
    vx::SandboxPool pool(snapshot_, 1);
    { vx::SandboxPool::Lease lease = pool.take(); }
    ASSERT_EQ(pool.idle(), 1u);
    expect_fork_child_has_its_own([&] { return pool.take(); }, entry("data_address"), entry("bss_address"));
}

VX_FOR_EACH_ENGINE(Tenants);

// The registry that stops sandboxes (interrupt(), the time limits) holds a
// slot for each: far more than 4096 at once, and past its maximum a clear
// refusal.
TEST(SandboxRegistry, HoldsTensOfThousandsAndRefusesPastItsMaximum) {
    std::vector<std::unique_ptr<vx::RunControl>> controls;
    std::string refusal;
    try {
        for (int i = 0; i < 70000; ++i) controls.push_back(std::make_unique<vx::RunControl>(vx::EngineLimits{}));
    } catch (const vx::Error& e) {
        refusal = e.what();
    }
    EXPECT_GE(controls.size(), 60000u);
    EXPECT_NE(refusal.find("too many sandboxes"), std::string::npos) << refusal;
    // Slots given back are taken again.
    controls.resize(controls.size() / 2);
    for (int i = 0; i < 1000; ++i) controls.push_back(std::make_unique<vx::RunControl>(vx::EngineLimits{}));
    controls.clear();
    vx::Sandbox sandbox;
    sandbox.interrupt();
    EXPECT_TRUE(sandbox.stop_pending());
}

}  // namespace
