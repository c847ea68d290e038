// Snapshots: a guest stopped part way (at a system call), restored into the
// same sandbox and into new ones many times, runs on to the same results;
// what one restored guest writes reaches neither the snapshot nor the
// others; %fs/%gs, the XSAVE state, the code (not stale translations), the
// fuel and the exit status come back; the memory limit counts a restored
// guest by what it writes; restoring leaks no host mapping or descriptor;
// what cannot be restored is refused with nothing changed.
#include <gtest/gtest.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "engines.h"
#include "os/linux_i386/initial_stack.h"
#include "vx/error.h"
#include "vx/sandbox.h"
#include "vx/snapshot.h"

namespace {

constexpr uint32_t kPage = vx::kPageSize;

std::vector<uint8_t> guest_program(const char* name) {
    std::ifstream in(std::string(VX_GUEST_DIR) + "/" + name, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Loads a Linux program with its initial stack, as execve does: the one
// place these tests load one.
vx::ElfImage load_linux_program(vx::Sandbox& sandbox, const std::vector<uint8_t>& file, const char* name) {
    return vx::os::linux_i386::load_program(sandbox, file, {name}, {}, 8u << 20);
}

// As tests/unit/guests/snapshot_guest.c reports them.
struct Results {
    uint32_t input;
    uint32_t before_checkpoint, after_checkpoint, rewritten;
    uint32_t table_sum;
    uint32_t xmm5[4];
    uint32_t fcw;
    uint32_t gs_word, gs_selector, fs_word, fs_selector;
};

constexpr uint32_t kTableWords = 96 * 1024;
constexpr uint32_t kWriteMuch = 0xbad;
constexpr uint16_t kGsSelector = 0x33, kFsSelector = 0x2b;

uint32_t expected_sum(uint32_t input) {
    uint32_t sum = 0;
    for (uint32_t i = 0; i < kTableWords; ++i) sum += i * 2654435761u + input;
    return sum;
}

void expect_results(const Results& r, uint32_t input) {
    EXPECT_EQ(r.input, input);
    EXPECT_EQ(r.before_checkpoint, 1u);
    EXPECT_EQ(r.after_checkpoint, 1u) << "code translated before the restore ran";
    EXPECT_EQ(r.rewritten, 2u);
    EXPECT_EQ(r.table_sum, expected_sum(input)) << "the table is not the snapshot's";
    const uint32_t pattern[4] = {0x01234567, 0x89abcdef, 0xdeadbeef, 0x0badf00d};
    EXPECT_EQ(std::memcmp(r.xmm5, pattern, sizeof pattern), 0) << "xmm5 lost";
    EXPECT_EQ(r.fcw, 0x0e7fu) << "x87 control word lost";
    EXPECT_EQ(r.gs_word, 0x5eed1e55u);
    EXPECT_EQ(r.gs_selector, kGsSelector);
    EXPECT_EQ(r.fs_word, 0x600dcafeu);
    EXPECT_EQ(r.fs_selector, kFsSelector);
}

// Every suite here runs on each engine (engines.h).
class OnEachEngine : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    static vx::SandboxOptions options(uint64_t memory_size = 256u << 20) {  // the program loads at 128 MiB
        return vx::testing::on_engine(GetParam(), {.memory_size = memory_size});
    }
};

// Serves the guest's calls: mprotect, set_thread_area (%fs and %gs to the
// address given), write (kept in `out`), exit. Runs until the checkpoint
// (getpid), which returns `input` when it is resumed; returns the event that
// ended the run (a Syscall event at the checkpoint).
vx::Event run_until(vx::Sandbox& sandbox, bool stop_at_checkpoint, std::string* out = nullptr) {
    for (;;) {
        vx::Event event = sandbox.run();
        if (event.kind != vx::EventKind::Syscall) return event;
        vx::Registers& r = sandbox.registers();
        switch (r.eax) {
        case 20:
            if (stop_at_checkpoint) return event;
            ADD_FAILURE() << "a second checkpoint";
            return event;
        case 125: {
            vx::Perm perms = vx::Perm(r.edx & 7);
            r.eax = sandbox.memory().protect(r.ebx, r.ecx, perms) ? 0 : uint32_t(-12);
            break;
        }
        case 243:
            sandbox.set_segment(vx::SegmentRegister::gs, kGsSelector, r.ebx);
            sandbox.set_segment(vx::SegmentRegister::fs, kFsSelector, r.ebx);
            r.eax = 0;
            break;
        case 4: {
            std::string bytes(r.edx, '\0');
            if (!sandbox.memory().read(r.ecx, bytes.data(), bytes.size())) {
                r.eax = uint32_t(-14);
                break;
            }
            if (out) *out += bytes;
            r.eax = r.edx;
            break;
        }
        case 1:
            sandbox.finish(int(r.ebx));
            break;
        default:
            r.eax = uint32_t(-38);
        }
    }
}

// Resumes a guest stopped at the checkpoint with `input`, to its end.
Results finish_with(vx::Sandbox& sandbox, uint32_t input) {
    Results results{};
    sandbox.registers().eax = input;
    std::string out;
    vx::Event event = run_until(sandbox, false, &out);
    EXPECT_EQ(event.kind, vx::EventKind::Exit) << vx::describe(event);
    EXPECT_EQ(out.size(), sizeof results);
    if (out.size() == sizeof results) std::memcpy(&results, out.data(), sizeof results);
    return results;
}

class SnapshotTest : public OnEachEngine {
protected:
    void SetUp() override {
        file_ = guest_program("snapshot_guest");
        ASSERT_FALSE(file_.empty()) << "no guest snapshot_guest";
        original_ = std::make_unique<vx::Sandbox>(options());
        load_linux_program(*original_, file_, "snapshot_guest");
        vx::Event event = run_until(*original_, true);
        ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
        ASSERT_EQ(original_->registers().eax, 20u);
        snapshot_ = original_->snapshot();
    }

    std::vector<uint8_t> file_;
    std::unique_ptr<vx::Sandbox> original_;
    std::shared_ptr<const vx::Snapshot> snapshot_;
};

TEST_P(SnapshotTest, TheOriginalRunsOnUnchanged) { expect_results(finish_with(*original_, 5), 5); }

TEST_P(SnapshotTest, ItCarriesTheGuestsCpuState) {
    ASSERT_EQ(snapshot_->cpu().arch(), vx::Arch::i386);
    EXPECT_EQ(&snapshot_->registers(), &snapshot_->cpu().i386());
    EXPECT_EQ(snapshot_->registers().eax, 20u);
    EXPECT_THROW(snapshot_->cpu().x86_64(), vx::Error);
    vx::Sandbox restored(*snapshot_);
    ASSERT_EQ(restored.cpu().arch(), vx::Arch::i386);
    EXPECT_EQ(std::memcmp(&restored.registers(), &snapshot_->registers(), sizeof(vx::Registers)), 0);
}

TEST_P(SnapshotTest, RestoredIntoTheSameSandboxEachRunIsTheSame) {
    for (uint32_t input = 1; input <= 30; ++input) {
        SCOPED_TRACE(input);
        original_->restore(*snapshot_);
        EXPECT_FALSE(original_->finished());
        EXPECT_EQ(original_->registers().eip, snapshot_->registers().eip);
        expect_results(finish_with(*original_, input), input);
    }
}

TEST_P(SnapshotTest, RestoredIntoNewSandboxesEachRunsOnItsOwn) {
    // All of them restored first, then each run: none sees another's writes.
    std::vector<std::unique_ptr<vx::Sandbox>> sandboxes;
    for (int i = 0; i < 8; ++i) sandboxes.push_back(std::make_unique<vx::Sandbox>(*snapshot_));
    for (uint32_t i = 0; i < sandboxes.size(); ++i) {
        SCOPED_TRACE(i);
        expect_results(finish_with(*sandboxes[i], 100 + i), 100 + i);
    }
    // The original too, after them.
    expect_results(finish_with(*original_, 7), 7);
    // And the snapshot is as it was.
    vx::Sandbox again(*snapshot_);
    expect_results(finish_with(again, 9), 9);
}

TEST_P(SnapshotTest, RestoresOnSeveralThreadsAtOnce) {
    std::vector<std::thread> threads;
    std::vector<Results> results(4);
    for (uint32_t t = 0; t < results.size(); ++t)
        threads.emplace_back([&, t] {
            vx::Sandbox sandbox(*snapshot_);
            for (uint32_t round = 0; round < 5; ++round) {
                sandbox.restore(*snapshot_);
                results[t] = finish_with(sandbox, t * 10 + round);
                if (results[t].table_sum != expected_sum(t * 10 + round)) return;
            }
        });
    for (auto& thread : threads) thread.join();
    for (uint32_t t = 0; t < results.size(); ++t) expect_results(results[t], t * 10 + 4);
}

TEST_P(SnapshotTest, HostWritesAfterARestoreReachNeitherTheSnapshotNorOthers) {
    vx::Sandbox a(*snapshot_), b(*snapshot_);
    const uint32_t at = snapshot_->registers().esp;  // the stack: written by the guest before
    uint32_t before = 0, value = 0x77777777, seen = 0;
    ASSERT_TRUE(a.memory().read(at, &before, sizeof before));
    ASSERT_TRUE(a.memory().write(at, &value, sizeof value));
    ASSERT_TRUE(b.memory().read(at, &seen, sizeof seen));
    EXPECT_EQ(seen, before);
    ASSERT_TRUE(a.memory().read(at, &seen, sizeof seen));
    EXPECT_EQ(seen, value);
    vx::Sandbox c(*snapshot_);
    ASSERT_TRUE(c.memory().read(at, &seen, sizeof seen));
    EXPECT_EQ(seen, before);
}

TEST_P(SnapshotTest, SegmentsAndExtendedStateComeBack) {
    vx::Sandbox fresh(options());
    EXPECT_EQ(fresh.segment(vx::SegmentRegister::gs), vx::Segment{});
    EXPECT_EQ(fresh.selectors(), vx::FlatSelectors{});
    fresh.restore(*snapshot_);
    EXPECT_EQ(fresh.selectors(), original_->selectors()) << "the Linux program's cs and ds come back";
    EXPECT_EQ(fresh.selectors().code, 0x23u);
    const vx::Segment gs = fresh.segment(vx::SegmentRegister::gs), fs = fresh.segment(vx::SegmentRegister::fs);
    EXPECT_EQ(gs.selector, kGsSelector);
    EXPECT_EQ(fs.selector, kFsSelector);
    EXPECT_EQ(gs.base, original_->segment(vx::SegmentRegister::gs).base);
    EXPECT_NE(gs.base, 0u);
    EXPECT_EQ(fresh.extended_state(), original_->extended_state());
    EXPECT_EQ(fresh.extended_state(), snapshot_->extended_state());
    // And the guest sees them (expect_results checks xmm5, the control word,
    // both selectors and a word through each base).
    expect_results(finish_with(fresh, 3), 3);
}

TEST_P(SnapshotTest, CodeTheGuestRewroteAfterTheSnapshotIsTheSnapshotsAgain) {
    // The first run rewrites its generated code (mov $1 → mov $2) and runs
    // it: its translation of the new code is cached when the restore comes.
    expect_results(finish_with(*original_, 1), 1);
    EXPECT_GE(original_->usage().engine_stat("code_writes").value_or(0), 1u);
    original_->restore(*snapshot_);
    const Results again = finish_with(*original_, 2);
    EXPECT_EQ(again.after_checkpoint, 1u);
    EXPECT_EQ(again.rewritten, 2u);
}

// Restored again from the same snapshot, with none of the pages it
// translated changed since, a guest runs on the translations it has; any
// change to such a page (here the host's) drops them.
using Snapshot = OnEachEngine;

TEST_P(Snapshot, UnchangedCodeKeepsItsTranslations) {
    const auto file = guest_program("hello");
    ASSERT_FALSE(file.empty()) << "no guest hello";
    vx::Sandbox prepared(options());
    const vx::ElfImage image = load_linux_program(prepared, file, "hello");
    auto at_entry = prepared.snapshot();

    vx::Sandbox sandbox(*at_entry);
    ASSERT_EQ(sandbox.run().kind, vx::EventKind::Syscall);
    const vx::Registers first = sandbox.registers();
    const uint64_t translations = sandbox.usage().engine_stat("translations").value_or(0);
    ASSERT_GT(translations, 0u);
    for (int round = 0; round < 3; ++round) {
        sandbox.restore(*at_entry);
        EXPECT_TRUE(sandbox.memory().code_unchanged());
        ASSERT_EQ(sandbox.run().kind, vx::EventKind::Syscall);
        EXPECT_EQ(std::memcmp(&sandbox.registers(), &first, sizeof first), 0);
        EXPECT_EQ(sandbox.usage().engine_stat("translations").value_or(0), translations);
    }
    // The host writes the entry point's page (the same bytes): translated anew.
    const uint32_t page = image.entry & ~(kPage - 1);
    std::vector<uint8_t> bytes(kPage);
    ASSERT_TRUE(sandbox.memory().read(page, bytes.data(), kPage));
    ASSERT_TRUE(sandbox.memory().protect(page, kPage, vx::kRead | vx::kWrite | vx::kExec));
    ASSERT_TRUE(sandbox.memory().write(page, bytes.data(), kPage));
    sandbox.restore(*at_entry);
    EXPECT_FALSE(sandbox.memory().code_unchanged());
    ASSERT_EQ(sandbox.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(std::memcmp(&sandbox.registers(), &first, sizeof first), 0);
    EXPECT_GT(sandbox.usage().engine_stat("translations").value_or(0), translations);
    // Another snapshot (even of the same state) is other contents for it.
    sandbox.restore(*prepared.snapshot());
    EXPECT_FALSE(sandbox.memory().code_unchanged());
    // A program loaded over a restored guest, and the snapshot restored over
    // that program: each runs as it should.
    load_linux_program(sandbox, file, "hello");
    ASSERT_EQ(sandbox.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(std::memcmp(&sandbox.registers(), &first, sizeof first), 0);
    sandbox.restore(*at_entry);
    EXPECT_FALSE(sandbox.memory().code_unchanged());
    ASSERT_EQ(sandbox.run().kind, vx::EventKind::Syscall);
    EXPECT_EQ(std::memcmp(&sandbox.registers(), &first, sizeof first), 0);
}

TEST_P(SnapshotTest, CodeRewrittenByTheGuestIsTranslatedAnew) {
    expect_results(finish_with(*original_, 1), 1);
    original_->restore(*snapshot_);
    expect_results(finish_with(*original_, 2), 2);
    // The guest rewrote its code page after the restore: nothing translated
    // from it stays.
    original_->restore(*snapshot_);
    EXPECT_FALSE(original_->memory().code_unchanged());
}

TEST_P(SnapshotTest, ARestoredGuestIsCountedByWhatItWrites) {
    // Its private pages are the snapshot's until written: a guest whose
    // image is larger than its limit runs while it writes less.
    const uint64_t limit = 8u << 20;
    ASSERT_GT(snapshot_->mapped_bytes(), limit);  // the 16 MiB it writes only when asked to
    vx::SandboxOptions limited = options();
    limited.limits.memory = limit;
    vx::Sandbox sandbox(*snapshot_, limited);
    EXPECT_LT(sandbox.memory_in_use(), 1u << 20);
    expect_results(finish_with(sandbox, 4), 4);
    // What it wrote (the table, the stack, its code page) is its own now.
    EXPECT_GE(sandbox.memory_in_use(), kTableWords * 4u);
    EXPECT_LE(sandbox.memory_in_use(), limit);

    // Written much, past the limit: stopped.
    sandbox.restore(*snapshot_);
    sandbox.registers().eax = kWriteMuch;
    vx::Event event = run_until(sandbox, false);
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
    EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::Memory);
    EXPECT_LE(sandbox.memory_in_use(), limit);
    // A restore takes the guest that reached it back to the snapshot's
    // state, where the limit holds again.
    sandbox.restore(*snapshot_);
    EXPECT_FALSE(sandbox.limit_exceeded());
    expect_results(finish_with(sandbox, 6), 6);

    // The same guest unrestored counts every page it maps: it cannot even
    // start under that limit.
    EXPECT_GT(original_->memory_in_use(), limit);
}

TEST_P(SnapshotTest, ASnapshotOfARestoredGuestIsTheSame) {
    vx::Sandbox first(*snapshot_);
    auto second_snapshot = first.snapshot();
    EXPECT_EQ(second_snapshot->mapped_bytes(), snapshot_->mapped_bytes());
    EXPECT_EQ(second_snapshot->stored_bytes(), snapshot_->stored_bytes());
    vx::Sandbox second(*second_snapshot);
    expect_results(finish_with(second, 11), 11);
    expect_results(finish_with(first, 12), 12);
}

TEST_P(SnapshotTest, FuelAndTheExitStatusComeBack) {
    vx::SandboxOptions fueled = options();
    fueled.limits.instructions = 50'000'000;
    vx::Sandbox counted(fueled);
    load_linux_program(counted, file_, "snapshot_guest");
    ASSERT_EQ(run_until(counted, true).kind, vx::EventKind::Syscall);
    const uint64_t fuel_at_checkpoint = *counted.fuel();
    auto at_checkpoint = counted.snapshot();
    EXPECT_EQ(at_checkpoint->fuel(), fuel_at_checkpoint);
    expect_results(finish_with(counted, 1), 1);
    const uint64_t spent_after = fuel_at_checkpoint - *counted.fuel();
    ASSERT_GT(spent_after, 1000u);
    auto finished = counted.snapshot();
    EXPECT_EQ(finished->exit_status(), 0);

    counted.restore(*at_checkpoint);
    EXPECT_EQ(*counted.fuel(), fuel_at_checkpoint);
    expect_results(finish_with(counted, 1), 1);
    EXPECT_EQ(fuel_at_checkpoint - *counted.fuel(), spent_after);  // the same instructions again

    vx::Sandbox ended(*finished);
    EXPECT_TRUE(ended.finished());
    vx::Event event = ended.run();
    EXPECT_EQ(event.kind, vx::EventKind::Exit);
    EXPECT_EQ(event.exit_status, 0);

    // Too little fuel in the snapshot: the restored guest stops where the
    // original would.
    vx::Sandbox short_of_fuel(fueled);
    load_linux_program(short_of_fuel, file_, "snapshot_guest");
    ASSERT_EQ(run_until(short_of_fuel, true).kind, vx::EventKind::Syscall);
    short_of_fuel.take_fuel();
    short_of_fuel.add_fuel(spent_after / 2);
    auto half = short_of_fuel.snapshot();
    vx::Sandbox restored(*half);
    restored.registers().eax = 1;
    vx::Event stopped = run_until(restored, false);
    ASSERT_EQ(stopped.kind, vx::EventKind::LimitExceeded) << vx::describe(stopped);
    EXPECT_EQ(stopped.limit_exceeded.limit, vx::Limit::Instructions);
    short_of_fuel.registers().eax = 1;
    ASSERT_EQ(run_until(short_of_fuel, false).kind, vx::EventKind::LimitExceeded);
    EXPECT_EQ(std::memcmp(&restored.registers(), &short_of_fuel.registers(), sizeof(vx::Registers)), 0);
}

TEST_P(SnapshotTest, WhatCannotBeRestoredIsRefusedWithNothingChanged) {
    vx::Sandbox other_size(options(128u << 20));
    other_size.memory().map(0x100000, kPage, vx::kRead | vx::kWrite);
    uint32_t value = 1234;
    other_size.memory().write(0x100000, &value, sizeof value);
    other_size.registers().eax = 99;
    EXPECT_THROW(other_size.restore(*snapshot_), vx::Error);
    uint32_t seen = 0;
    EXPECT_TRUE(other_size.memory().read(0x100000, &seen, sizeof seen));
    EXPECT_EQ(seen, value);
    EXPECT_EQ(other_size.registers().eax, 99u);
    EXPECT_THROW(vx::Sandbox(*snapshot_, options(128u << 20)), vx::Error);

    // Fuel the sandbox does not count.
    vx::SandboxOptions fueled = options();
    fueled.limits.instructions = 1'000'000;
    vx::Sandbox counted(fueled);
    auto with_fuel = counted.snapshot();
    vx::Sandbox uncounted(options());
    EXPECT_THROW(uncounted.restore(*with_fuel), vx::Error);

    // More host mappings than it may make.
    vx::SandboxOptions few = options();
    few.limits.host_mappings = 16;
    vx::Sandbox many(options());
    for (uint32_t page = 0; page < 40; page += 2)
        ASSERT_TRUE(many.memory().map(0x100000 + page * kPage, kPage, vx::kRead));
    auto fragmented = many.snapshot();
    vx::Sandbox limited(few);
    EXPECT_THROW(limited.restore(*fragmented), vx::Error);
    EXPECT_FALSE(limited.limit_exceeded());
}

// Pages mapped shared (a fresh shared copy each restore) and pages the
// guest may not touch (their contents kept all the same).
TEST_P(Snapshot, TheDescriptorsComeBackAndTheGuestsLoadsResolveFromThem) {
    constexpr uint32_t code = 0x10000, data = 0x20000, value = 0x5ca1ab1e;
    vx::Sandbox source(options(16u << 20));
    ASSERT_TRUE(source.memory().map(code, kPage, vx::kRead | vx::kWrite | vx::kExec));
    ASSERT_TRUE(source.memory().map(data, kPage, vx::kRead | vx::kWrite));
    ASSERT_TRUE(source.memory().write(data + 0x10, &value, sizeof value));
    // mov eax, 0x6b; mov gs, eax; mov ecx, gs:[0x10]; int $0x80
    const uint8_t load[] = {0xb8, 0x6b, 0, 0, 0, 0x8e, 0xe8, 0x65, 0x8b, 0x0d, 0x10, 0, 0, 0, 0xcd, 0x80};
    ASSERT_TRUE(source.memory().write(code, load, sizeof load));
    source.registers().eip = code;
    ASSERT_TRUE(source.set_descriptor(12, 0x1000));
    ASSERT_TRUE(source.set_descriptor(13, data));
    auto snapshot = source.snapshot();
    EXPECT_EQ(snapshot->descriptors(), source.descriptors());

    source.clear_descriptor(13);
    ASSERT_TRUE(source.set_descriptor(14, 0x3000));
    source.restore(*snapshot);
    EXPECT_EQ(source.descriptors(), snapshot->descriptors());
    vx::Sandbox fresh(*snapshot);
    EXPECT_EQ(fresh.descriptors(), snapshot->descriptors());
    for (vx::Sandbox* s : {&source, &fresh}) {
        const vx::Event event = s->run();
        ASSERT_EQ(event.kind, vx::EventKind::Syscall) << vx::describe(event);
        EXPECT_EQ(s->registers().ecx, value);
        EXPECT_EQ(s->segment(vx::SegmentRegister::gs), (vx::Segment{0x6b, data}));
    }
}

TEST_P(Snapshot, SharedAndInaccessiblePagesKeepTheirContents) {
    vx::Sandbox source(options(16u << 20));
    auto& memory = source.memory();
    const uint32_t shared = 0x100000, hidden = 0x200000, plain = 0x300000;
    ASSERT_TRUE(memory.map(shared, 2 * kPage, vx::kRead | vx::kWrite, true));
    ASSERT_TRUE(memory.map(hidden, kPage, vx::kRead | vx::kWrite));
    ASSERT_TRUE(memory.map(plain, 3 * kPage, vx::kRead | vx::kWrite));
    const uint32_t a = 0xaaaa, b = 0xbbbb, c = 0xcccc;
    ASSERT_TRUE(memory.write(shared + kPage, &a, sizeof a));
    ASSERT_TRUE(memory.write(hidden + 8, &b, sizeof b));
    ASSERT_TRUE(memory.write(plain + 2 * kPage, &c, sizeof c));
    ASSERT_TRUE(memory.protect(hidden, kPage, vx::kNone));
    ASSERT_TRUE(memory.protect(shared, kPage, vx::kRead));
    memory.set_grow_down(0xe00000, 0xf00000);
    auto snapshot = source.snapshot();
    EXPECT_EQ(snapshot->mapped_bytes(), 6u * kPage);
    EXPECT_EQ(snapshot->stored_bytes(), 3u * kPage);  // zero pages take nothing

    vx::Sandbox one(*snapshot), two(*snapshot);
    for (vx::Sandbox* s : {&one, &two}) {
        auto& m = s->memory();
        EXPECT_EQ(m.perms_at(hidden), vx::kNone);
        EXPECT_TRUE(m.mapped(hidden));
        EXPECT_EQ(m.perms_at(shared), vx::kRead);
        EXPECT_EQ(m.perms_at(shared + kPage), vx::kRead | vx::kWrite);
        EXPECT_EQ(m.grow_down_floor(), 0xe00000u);
        EXPECT_EQ(m.grow_down_low(), 0xf00000u);
        EXPECT_EQ(m.mapped_bytes(), 6u * kPage);
        uint32_t seen = 0;
        EXPECT_FALSE(m.read(hidden, &seen, sizeof seen));
        ASSERT_TRUE(m.protect(hidden, kPage, vx::kRead));
        ASSERT_TRUE(m.read(hidden + 8, &seen, sizeof seen));
        EXPECT_EQ(seen, b);
        ASSERT_TRUE(m.read(plain + 2 * kPage, &seen, sizeof seen));
        EXPECT_EQ(seen, c);
    }
    // The shared pages are each restored sandbox's own copy, and count as its own.
    const uint32_t d = 0xdddd;
    ASSERT_TRUE(one.memory().write(shared + kPage, &d, sizeof d));
    uint32_t seen = 0;
    ASSERT_TRUE(two.memory().read(shared + kPage, &seen, sizeof seen));
    EXPECT_EQ(seen, a);
    EXPECT_EQ(two.memory().own_bytes(), 2u * kPage);
}

uint32_t host_mappings_in(const vx::Sandbox& sandbox);

// Bytes of memory the snapshots' files of this process hold now.
uint64_t snapshot_file_bytes() {
    uint64_t bytes = 0;
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) return 0;
    while (dirent* entry = readdir(dir)) {
        char target[256] = {};
        const std::string path = std::string("/proc/self/fd/") + entry->d_name;
        if (readlink(path.c_str(), target, sizeof target - 1) <= 0) continue;
        struct stat st {};
        if (std::string(target).starts_with("/memfd:vx-snapshot") && stat(path.c_str(), &st) == 0)
            bytes += uint64_t(st.st_blocks) * 512;
    }
    closedir(dir);
    return bytes;
}

// A large mapped region of zeros costs the snapshot nothing, even when
// restored guests read it all: its pages are fresh zero pages, not holes
// of the snapshot's file (which a read would fill). Short runs of zeros
// between stored pages are stored.
TEST_P(Snapshot, ZeroPagesCostTheSnapshotNothingWhenRead) {
    vx::Sandbox source(options(128u << 20));
    auto& memory = source.memory();
    const uint32_t zeros = 0x1000000, zeros_size = 32u << 20, data = 0x4000000;
    ASSERT_TRUE(memory.map(zeros, zeros_size, vx::kRead | vx::kWrite));
    ASSERT_TRUE(memory.map(data, 8 * kPage, vx::kRead | vx::kWrite));
    const uint32_t one = 1;
    ASSERT_TRUE(memory.write(zeros + 5 * kPage, &one, sizeof one));  // a page of data in the zeros
    ASSERT_TRUE(memory.write(data, &one, sizeof one));
    ASSERT_TRUE(memory.write(data + 7 * kPage, &one, sizeof one));  // six pages of zeros between
    auto snapshot = source.snapshot();
    EXPECT_EQ(snapshot->stored_bytes(), 9u * kPage);
    EXPECT_EQ(snapshot->mapped_bytes(), zeros_size + 8 * kPage);
    const uint64_t file_bytes = snapshot_file_bytes();
    EXPECT_EQ(file_bytes, snapshot->stored_bytes());

    vx::Sandbox restored(*snapshot);
    std::vector<uint8_t> page(kPage);
    uint64_t sum = 0;
    for (uint32_t at = zeros; at < zeros + zeros_size; at += kPage) {
        ASSERT_TRUE(restored.memory().read(at, page.data(), kPage));
        for (uint8_t b : page) sum += b;
    }
    for (uint32_t at = data; at < data + 8 * kPage; at += kPage) {
        ASSERT_TRUE(restored.memory().read(at, page.data(), kPage));
        for (uint8_t b : page) sum += b;
    }
    EXPECT_EQ(sum, 3u);
    EXPECT_EQ(snapshot_file_bytes(), file_bytes);
    EXPECT_LE(host_mappings_in(restored), restored.memory().host_mappings());
    EXPECT_EQ(restored.memory().own_bytes(), 0u);
}

// Whether /proc/self/pagemap tells this test a touched anonymous page from
// an untouched one (some hosts give no pagemap).
bool pagemap_tells_touched_pages() {
    const int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    void* pages = mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bool tells = false;
    if (pages != MAP_FAILED) {
        static_cast<volatile uint8_t*>(pages)[0] = 1;
        uint64_t entries[2] = {};
        const off_t at = off_t(reinterpret_cast<uint64_t>(pages) / kPage * sizeof entries[0]);
        tells = pread(fd, entries, sizeof entries, at) == sizeof entries && (entries[0] >> 63) && !(entries[1] >> 63);
        munmap(pages, 2 * kPage);
    }
    close(fd);
    return tells;
}

long minor_faults() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_minflt;
}

// A plug-in's large heap, mapped and never used: the snapshot learns that
// its pages are zeros from the host's page tables, without reading (and so
// faulting in) each of them.
TEST_P(Snapshot, UntouchedPagesAreNotReadForIt) {
    if (!pagemap_tells_touched_pages()) GTEST_SKIP() << "this host's /proc/self/pagemap does not tell touched pages";
    vx::Sandbox source(options(512u << 20));
    auto& memory = source.memory();
    const uint32_t heap = 0x1000000, heap_size = 256u << 20;
    ASSERT_TRUE(memory.map(heap, heap_size, vx::kRead | vx::kWrite));
    // Page by page, as reading would fault them: a huge page would hide 511
    // faults of every 512.
    for (const vx::HostRegion& region : source.host_regions())
        if (std::string(region.what) == "guest memory")
            madvise(reinterpret_cast<void*>(region.begin + heap), heap_size, MADV_NOHUGEPAGE);
    const uint32_t one = 1;
    ASSERT_TRUE(memory.write(heap + 100 * kPage, &one, sizeof one));
    const long before = minor_faults();
    auto snapshot = source.snapshot();
    const long faults = minor_faults() - before;
    EXPECT_LT(faults, long(heap_size / kPage / 16)) << "the snapshot read the untouched pages";
    EXPECT_EQ(snapshot->stored_bytes(), kPage);
    vx::Sandbox restored(*snapshot);
    uint32_t value = 0, zero = 1;
    ASSERT_TRUE(restored.memory().read(heap + 100 * kPage, &value, sizeof value));
    ASSERT_TRUE(restored.memory().read(heap + 200 * kPage, &zero, sizeof zero));
    EXPECT_EQ(value, 1u);
    EXPECT_EQ(zero, 0u);
}

// What the host really maps in a guest's reservation after a restore: no
// more mappings than GuestMemory counts (its count errs towards more).
std::vector<std::string> maps_lines() {
    std::ifstream in("/proc/self/maps");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

uint32_t host_mappings_in(const vx::Sandbox& sandbox) {
    uint64_t begin = 0, size = 0;
    for (const vx::HostRegion& r : sandbox.host_regions())
        if (std::string(r.what) == "guest memory") begin = r.begin, size = r.size;
    uint32_t n = 0;
    for (const std::string& line : maps_lines()) {
        uint64_t lo = 0, hi = 0;
        char dash;
        std::istringstream(line) >> std::hex >> lo >> dash >> hi;
        n += lo >= begin && hi <= begin + size;
    }
    return n;
}

// The host mappings sandboxes and snapshots make: those in this sandbox's
// reservation, and every memfd mapped anywhere (snapshot images, and each
// sandbox's code cache: a sandbox left behind shows there). Not the whole
// process's: a sanitizer's allocator maps and splits regions of its own as
// tests run.
size_t sandbox_mappings(const vx::Sandbox& sandbox) {
    size_t n = host_mappings_in(sandbox);
    for (const std::string& line : maps_lines()) n += line.find("/memfd:") != std::string::npos;
    return n;
}

TEST_P(SnapshotTest, TheHostMappingsCountHoldsAfterARestore) {
    vx::Sandbox restored(*snapshot_);
    const uint32_t counted = restored.memory().host_mappings(), real = host_mappings_in(restored);
    EXPECT_LE(real, counted);
    EXPECT_LE(counted, real + 2);
    expect_results(finish_with(restored, 1), 1);  // runs of it written, code protected
    EXPECT_LE(host_mappings_in(restored), restored.memory().host_mappings());
}

// Takes this process to its vm.max_map_count by splitting a region of its
// own (as tests/unit/host_mappings_test.cpp does).
class MapCountHog {
public:
    MapCountHog() {
        region_ = static_cast<char*>(mmap(nullptr, kPages * kPage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
        if (region_ == MAP_FAILED) return;
        for (size_t p = 1; p + 1 < kPages; p += 2)
            if (mprotect(region_ + p * kPage, kPage, PROT_READ) != 0) {
                full_ = errno == ENOMEM;
                break;
            }
    }
    ~MapCountHog() {
        if (region_ != MAP_FAILED) munmap(region_, kPages * kPage);
    }
    bool full() const { return full_; }

private:
    static constexpr size_t kPages = 300000;
    char* region_ = static_cast<char*>(MAP_FAILED);
    bool full_ = false;
};

// The host refuses the mappings a restore needs part way: the sandbox is
// left with no guest memory and stops with the host mappings limit, until
// a restore succeeds.
TEST_P(Snapshot, ARestoreTheHostRefusesLeavesTheSandboxStopped) {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "needs the process at vm.max_map_count, where AddressSanitizer cannot run";
#endif
    vx::Sandbox source(options(16u << 20));
    const uint32_t base = 0x100000;
    ASSERT_TRUE(source.memory().map(base, 64 * kPage, vx::kRead | vx::kWrite));
    for (uint32_t p = 0; p < 64; ++p) ASSERT_TRUE(source.memory().write(base + p * kPage, &p, sizeof p));
    for (uint32_t p = 1; p < 64; p += 2) ASSERT_TRUE(source.memory().protect(base + p * kPage, kPage, vx::kRead));
    auto fragmented = source.snapshot();
    vx::Sandbox target(options(16u << 20));
    ASSERT_TRUE(target.memory().map(base, kPage, vx::kRead | vx::kWrite));
    target.registers().eip = base;
    std::string message;
    {
        MapCountHog hog;
        if (!hog.full()) GTEST_SKIP() << "could not reach this host's vm.max_map_count";
        try {
            target.restore(*fragmented);
        } catch (const vx::Error& e) {
            message = e.what();
        }
    }
    ASSERT_FALSE(message.empty()) << "the restore went through at the host's map count";
    EXPECT_EQ(target.memory().mapped_bytes(), 0u);
    EXPECT_EQ(target.memory_in_use() - target.usage().engine_stat("code_cache_bytes").value_or(0), 0u);
    const vx::Event event = target.run();
    ASSERT_EQ(event.kind, vx::EventKind::LimitExceeded) << vx::describe(event);
    EXPECT_EQ(event.limit_exceeded.limit, vx::Limit::HostMappings);
    // With room again, a restore makes it whole.
    target.restore(*fragmented);
    EXPECT_FALSE(target.limit_exceeded());
    for (uint32_t p = 0; p < 64; ++p) {
        uint32_t seen = ~0u;
        ASSERT_TRUE(target.memory().read(base + p * kPage, &seen, sizeof seen));
        EXPECT_EQ(seen, p);
    }
}

// Random layouts: whatever mix of mappings, permissions, shared pages,
// zeros and data a sandbox has, a restore gives the same pages and
// contents, and so does a restore over a restored sandbox that changed
// (where the runs it left alone stay mapped as they were).
TEST_P(Snapshot, RandomLayoutsComeBackExactly) {
    constexpr uint32_t kBase = 0x100000, kPages = 384;
    uint64_t seed = 12345;
    auto next = [&](uint32_t below) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        return uint32_t((seed >> 33) % below);
    };
    const vx::Perm kPerms[] = {vx::kNone, vx::kRead, vx::Perm(vx::kRead | vx::kWrite),
                               vx::Perm(vx::kRead | vx::kExec), vx::Perm(vx::kRead | vx::kWrite | vx::kExec)};
    auto scramble = [&](vx::GuestMemory& m, int operations) {
        for (int i = 0; i < operations; ++i) {
            const uint32_t first = next(kPages), pages = 1 + next(std::min<uint32_t>(24, kPages - first));
            const uint32_t at = kBase + first * kPage, length = pages * kPage;
            switch (next(7)) {
            case 0: m.map(at, length, kPerms[next(5)], next(4) == 0); break;
            case 1: m.protect(at, length, kPerms[next(5)]); break;
            case 2: m.unmap(at, length); break;
            case 3: m.mark_copy_pending(7); break;  // as before a fork: written pages pending again
            default: {  // data, where the host may write
                std::vector<uint8_t> bytes(next(3) == 0 ? length : 64, uint8_t(1 + next(255)));
                const uint32_t where = at + (bytes.size() == 64 ? next(kPage - 64) : 0);
                m.write(where, bytes.data(), bytes.size());
            }
            }
        }
    };
    auto expect_same = [&](const vx::Sandbox& expected, vx::Sandbox& restored, int round) {
        const vx::GuestMemory& e = expected.memory();
        vx::GuestMemory& r = restored.memory();
        EXPECT_EQ(r.mapped_bytes(), e.mapped_bytes()) << "round " << round;
        std::vector<uint8_t> a(kPage), b(kPage);
        for (uint32_t p = 0; p < kPages; ++p) {
            const uint32_t at = kBase + p * kPage;
            ASSERT_EQ(r.mapped(at), e.mapped(at)) << "round " << round << " page " << p;
            ASSERT_EQ(r.perms_at(at), e.perms_at(at)) << "round " << round << " page " << p;
            if (!(e.perms_at(at) & vx::kRead)) continue;
            ASSERT_TRUE(e.read(at, a.data(), kPage));
            ASSERT_TRUE(r.read(at, b.data(), kPage));
            ASSERT_EQ(a, b) << "round " << round << " page " << p;
        }
        EXPECT_LE(host_mappings_in(restored), r.host_mappings()) << "round " << round;
    };
    vx::Sandbox source(options(16u << 20));
    vx::Sandbox target(options(16u << 20));
    for (int round = 0; round < 12; ++round) {
        scramble(source.memory(), 40);
        auto snapshot = source.snapshot();
        target.restore(*snapshot);
        expect_same(source, target, round);
        for (int again = 0; again < 3; ++again) {
            scramble(target.memory(), 10);
            target.restore(*snapshot);
            expect_same(source, target, round);
        }
    }
}

size_t open_descriptors() {
    size_t n = 0;
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) return 0;
    while (readdir(dir)) ++n;
    closedir(dir);
    return n;
}

TEST_P(SnapshotTest, AThousandRestoresLeakNoMappingOrDescriptor) {
    vx::Sandbox sandbox(*snapshot_);
    auto cycle = [&](uint32_t input) {
        sandbox.restore(*snapshot_);
        Results r = finish_with(sandbox, input);
        return r.table_sum == expected_sum(input) && r.after_checkpoint == 1;
    };
    ASSERT_TRUE(cycle(0));  // the first translations, lookup tables and so on
    sandbox.restore(*snapshot_);
    const size_t maps_before = sandbox_mappings(sandbox), fds_before = open_descriptors();
    ASSERT_GT(maps_before, 1u);
    ASSERT_GT(fds_before, 0u);
    int wrong = 0;
    for (uint32_t i = 1; i <= 1000; ++i) wrong += !cycle(i);
    EXPECT_EQ(wrong, 0);
    // New sandboxes and snapshots, gone again.
    for (int i = 0; i < 20; ++i) {
        vx::Sandbox other(*snapshot_);
        auto again = other.snapshot();
        vx::Sandbox third(*again);
    }
    sandbox.restore(*snapshot_);
    EXPECT_EQ(sandbox_mappings(sandbox), maps_before);
    EXPECT_EQ(open_descriptors(), fds_before);
}

VX_FOR_EACH_ENGINE(SnapshotTest);
VX_FOR_EACH_ENGINE(Snapshot);

}  // namespace
