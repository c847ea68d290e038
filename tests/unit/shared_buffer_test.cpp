// Shared buffers (vx::SharedBuffer, GuestMemory::map_buffer): the host and a
// guest plug-in (tests/unit/guests/plugin_functions.c) read and write the
// same pages, with no copy either way; a guest never gets more than it was
// given (write on a read-only buffer, execute, a move past the buffer's
// end); the pages count against no memory limit; snapshots hold none of
// them, and a restore unmaps them.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "engines.h"
#include "guest_code.h"
#include "os/linux_i386/process.h"
#include "vx/elf_loader.h"
#include "vx/error.h"
#include "vx/sandbox.h"
#include "vx/shared_buffer.h"
#include "vx/snapshot.h"

namespace {

using vx::testing::on_engine;

constexpr uint32_t kStackBase = 0x1f000000, kStackSize = 64u << 10;
constexpr uint32_t kBufferAt = 0x10000000;
constexpr size_t kBufferSize = 64u << 10;
constexpr uint32_t kWords = kBufferSize / 4;

class SharedBufferTest : public ::testing::TestWithParam<vx::EngineKind> {
protected:
    void SetUp() override { sandbox_ = make_sandbox({}); }

    std::unique_ptr<vx::Sandbox> make_sandbox(vx::EngineLimits limits) {
        if (file_.empty()) {
            std::ifstream in(std::string(VX_GUEST_DIR) + "/plugin_functions", std::ios::binary);
            file_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        EXPECT_FALSE(file_.empty()) << "no guest plugin_functions";
        auto sandbox = std::make_unique<vx::Sandbox>(on_engine(GetParam(), {.limits = limits}));
        sandbox->load_program(file_);
        EXPECT_TRUE(sandbox->memory().map(kStackBase, kStackSize, vx::kRead | vx::kWrite));
        sandbox->registers().esp = kStackBase + kStackSize;
        return sandbox;
    }

    vx::CallResult call(vx::Sandbox& sandbox, const char* name, std::vector<uint32_t> args) {
        std::optional<uint32_t> entry = vx::elf_symbol(file_, name);
        EXPECT_TRUE(entry) << "no function " << name;
        return sandbox.call(entry.value_or(0), args);
    }

    uint32_t* words() const { return reinterpret_cast<uint32_t*>(buffer_.data()); }

    std::vector<uint8_t> file_;
    std::unique_ptr<vx::Sandbox> sandbox_;
    vx::SharedBuffer buffer_{kBufferSize};
};

TEST_P(SharedBufferTest, TheGuestReadsWhatTheHostWritesInPlace) {
    for (uint32_t i = 0; i < kWords; ++i) words()[i] = i;
    ASSERT_TRUE(sandbox_->memory().map_buffer(kBufferAt, buffer_, vx::kRead));
    vx::CallResult result = call(*sandbox_, "sum", {kBufferAt, kWords});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), kWords * (kWords - 1) / 2);
    // No copy was made: the host's next write is what the guest reads next.
    words()[kWords - 1] += 1000;
    result = call(*sandbox_, "sum", {kBufferAt, kWords});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), kWords * (kWords - 1) / 2 + 1000);
}

TEST_P(SharedBufferTest, TheHostSeesTheGuestsWritesInPlace) {
    ASSERT_TRUE(sandbox_->memory().map_buffer(kBufferAt, buffer_, vx::kRead | vx::kWrite));
    vx::CallResult result = call(*sandbox_, "fill", {kBufferAt + 4, kWords - 2, 0x5a5a5a5a});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(words()[0], 0u);
    for (uint32_t i = 1; i < kWords - 1; ++i) ASSERT_EQ(words()[i], 0x5a5a5a5au) << "word " << i;
    EXPECT_EQ(words()[kWords - 1], 0u);
}

TEST_P(SharedBufferTest, OneBufferInTwoSandboxesIsOneMemory) {
    std::unique_ptr<vx::Sandbox> other = make_sandbox({});
    ASSERT_TRUE(sandbox_->memory().map_buffer(kBufferAt, buffer_, vx::kRead | vx::kWrite));
    ASSERT_TRUE(other->memory().map_buffer(kBufferAt + 0x100000, buffer_, vx::kRead));
    ASSERT_TRUE(call(*sandbox_, "fill", {kBufferAt, kWords, 3}).returned);
    vx::CallResult result = call(*other, "sum", {kBufferAt + 0x100000, kWords});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 3 * kWords);
}

TEST_P(SharedBufferTest, AGuestWriteToAReadOnlyBufferFaultsAndChangesNothing) {
    words()[0] = 77;
    ASSERT_TRUE(sandbox_->memory().map_buffer(kBufferAt, buffer_, vx::kRead));
    vx::CallResult result = call(*sandbox_, "fill", {kBufferAt, kWords, 9});
    ASSERT_FALSE(result.returned);
    ASSERT_EQ(result.event.kind, vx::EventKind::Fault) << vx::describe(result.event);
    EXPECT_EQ(result.event.fault.kind, vx::FaultKind::PageFault);
    EXPECT_EQ(result.event.fault.address, kBufferAt);
    EXPECT_EQ(words()[0], 77u);
    // Nor may the host's accessors write there on the guest's behalf.
    const uint32_t nine = 9;
    EXPECT_FALSE(sandbox_->memory().write(kBufferAt, &nine, sizeof nine));
    EXPECT_EQ(words()[0], 77u);
}

TEST_P(SharedBufferTest, NeitherProtectNorMoveGivesMoreThanWasGiven) {
    vx::GuestMemory& memory = sandbox_->memory();
    vx::SharedBuffer writable(kBufferSize);
    ASSERT_TRUE(memory.map_buffer(kBufferAt, buffer_, vx::kRead));
    ASSERT_TRUE(memory.map_buffer(kBufferAt + 0x100000, writable, vx::kRead | vx::kWrite));
    EXPECT_FALSE(memory.protect(kBufferAt, kBufferSize, vx::kRead | vx::kWrite));
    EXPECT_FALSE(memory.protect(kBufferAt, vx::kPageSize, vx::kRead | vx::kExec));
    EXPECT_FALSE(memory.protect(kBufferAt + 0x100000, vx::kPageSize, vx::kRead | vx::kWrite | vx::kExec));
    EXPECT_EQ(memory.perms_at(kBufferAt), vx::kRead);
    // Less is allowed, and what was given may come back.
    EXPECT_TRUE(memory.protect(kBufferAt + 0x100000, vx::kPageSize, vx::kRead));
    EXPECT_EQ(memory.perms_at(kBufferAt + 0x100000), vx::kRead);
    EXPECT_TRUE(memory.protect(kBufferAt + 0x100000, vx::kPageSize, vx::kRead | vx::kWrite));
    EXPECT_TRUE(memory.protect(kBufferAt, kBufferSize, vx::kNone));
    EXPECT_TRUE(memory.protect(kBufferAt, kBufferSize, vx::kRead));
    // Moved and grown, a mapping would reach past the buffer's end.
    EXPECT_FALSE(memory.move(kBufferAt + 0x100000, kBufferSize, kBufferAt + 0x200000, 2 * kBufferSize));
    EXPECT_FALSE(memory.move(kBufferAt, kBufferSize, kBufferAt + 0x200000, kBufferSize));
    EXPECT_TRUE(memory.mapped(kBufferAt));
    // Nor with a page of another kind before it (the host may move several
    // mappings at once, when the sizes stay).
    ASSERT_TRUE(memory.map(kBufferAt - vx::kPageSize, vx::kPageSize, vx::kRead, true));
    EXPECT_FALSE(memory.move(kBufferAt - vx::kPageSize, 2 * vx::kPageSize, kBufferAt + 0x300000, 2 * vx::kPageSize));
    EXPECT_FALSE(memory.protect(kBufferAt, vx::kPageSize, vx::kRead | vx::kWrite));
    EXPECT_EQ(memory.buffer_bytes(), 2 * kBufferSize);
    EXPECT_EQ(memory.buffer_bytes(kBufferAt - vx::kPageSize, 2 * vx::kPageSize), vx::kPageSize);
}

TEST_P(SharedBufferTest, BadRequestsAreRefusedWithAnError) {
    vx::GuestMemory& memory = sandbox_->memory();
    EXPECT_THROW(memory.map_buffer(kBufferAt, buffer_, vx::kRead | vx::kExec), vx::Error);
    EXPECT_THROW(memory.map_buffer(kBufferAt, buffer_, vx::kWrite), vx::Error);
    EXPECT_THROW(memory.map_buffer(kBufferAt, buffer_, vx::kNone), vx::Error);
    EXPECT_THROW(memory.map_buffer(kBufferAt + 1, buffer_, vx::kRead), vx::Error);
    EXPECT_THROW(memory.map_buffer(memory.size() - vx::kPageSize, buffer_, vx::kRead), vx::Error);
    // Never over guest memory already mapped (the stack here).
    EXPECT_THROW(memory.map_buffer(kStackBase + kStackSize - vx::kPageSize, buffer_, vx::kRead), vx::Error);
    EXPECT_TRUE(memory.mapped(kStackBase + kStackSize - vx::kPageSize));
    EXPECT_FALSE(memory.mapped(kBufferAt));
    EXPECT_THROW(vx::SharedBuffer(0), vx::Error);
    EXPECT_THROW(vx::SharedBuffer(vx::kPageSize + 1), vx::Error);
    EXPECT_THROW(vx::SharedBuffer(size_t(vx::kMaxGuestMemory) + vx::kPageSize), vx::Error);
}

TEST_P(SharedBufferTest, ABufferCountsAgainstNoMemoryLimit) {
    vx::EngineLimits limits;
    limits.memory = 4u << 20;
    std::unique_ptr<vx::Sandbox> limited = make_sandbox(limits);
    vx::SharedBuffer large(16u << 20);
    const uint64_t before = limited->memory().own_bytes();
    ASSERT_TRUE(limited->memory().map_buffer(kBufferAt, large, vx::kRead | vx::kWrite));
    EXPECT_EQ(limited->memory().own_bytes(), before);
    vx::CallResult result = call(*limited, "fill", {kBufferAt, uint32_t(large.size() / 4), 1});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(limited->memory().own_bytes(), before);
    EXPECT_LT(limited->memory_in_use(), 4u << 20);
    EXPECT_EQ(reinterpret_cast<uint32_t*>(large.data())[large.size() / 4 - 1], 1u);
}

TEST_P(SharedBufferTest, TheGuestsMappingOutlivesTheHostsBuffer) {
    auto buffer = std::make_unique<vx::SharedBuffer>(kBufferSize);
    reinterpret_cast<uint32_t*>(buffer->data())[5] = 11;
    ASSERT_TRUE(sandbox_->memory().map_buffer(kBufferAt, *buffer, vx::kRead | vx::kWrite));
    buffer.reset();
    vx::CallResult result = call(*sandbox_, "sum", {kBufferAt, kWords});
    ASSERT_TRUE(result.returned) << vx::describe(result.event);
    EXPECT_EQ(result.eax(), 11u);
    EXPECT_TRUE(sandbox_->memory().unmap(kBufferAt, kBufferSize));
}

TEST_P(SharedBufferTest, ASnapshotHoldsNoBufferAndARestoreUnmapsIt) {
    std::shared_ptr<const vx::Snapshot> before = sandbox_->snapshot();
    words()[0] = 5;
    ASSERT_TRUE(sandbox_->memory().map_buffer(kBufferAt, buffer_, vx::kRead | vx::kWrite));
    EXPECT_EQ(sandbox_->memory().buffer_bytes(), kBufferSize);
    EXPECT_THROW(sandbox_->snapshot(), vx::Error);
    ASSERT_TRUE(call(*sandbox_, "fill", {kBufferAt, 1, 6}).returned);
    // Twice: the second restore of one snapshot takes its quicker way.
    for (int round = 0; round < 2; ++round) {
        sandbox_->restore(*before);
        EXPECT_FALSE(sandbox_->memory().mapped(kBufferAt));
        EXPECT_EQ(sandbox_->memory().buffer_bytes(), 0u);
        vx::CallResult result = call(*sandbox_, "sum", {kBufferAt, 1});
        ASSERT_FALSE(result.returned);
        EXPECT_EQ(result.event.fault.address, kBufferAt) << vx::describe(result.event);
        EXPECT_EQ(words()[0], 6u) << "a restore changed the host's buffer";
        ASSERT_TRUE(sandbox_->memory().map_buffer(kBufferAt, buffer_, vx::kRead | vx::kWrite));
        ASSERT_TRUE(call(*sandbox_, "fill", {kBufferAt, 1, 6}).returned);
    }
    ASSERT_TRUE(sandbox_->memory().unmap(kBufferAt + vx::kPageSize, vx::kPageSize));
    EXPECT_EQ(sandbox_->memory().buffer_bytes(), kBufferSize - vx::kPageSize);
    EXPECT_THROW(sandbox_->snapshot(), vx::Error);
    ASSERT_TRUE(sandbox_->memory().unmap(kBufferAt, kBufferSize));
    EXPECT_EQ(sandbox_->memory().buffer_bytes(), 0u);
    EXPECT_NO_THROW(sandbox_->snapshot());
}

VX_FOR_EACH_ENGINE(SharedBufferTest);

// The Linux personality's memory calls on a buffer the host mapped into a
// guest: mremap neither grows nor moves it, mprotect gives no write; the
// guest's exit status is what the call returned (negated errno, as a byte).
int status_after(uint32_t nr, uint32_t a, uint32_t b, uint32_t c, uint32_t d, vx::Perm buffer_perms) {
    vx::Sandbox sandbox(vx::SandboxOptions{.memory_size = 512u << 20});
    vx::GuestMemory& memory = sandbox.memory();
    vx::SharedBuffer buffer(kBufferSize);
    EXPECT_TRUE(memory.map_buffer(kBufferAt, buffer, buffer_perms));
    // The call, then exit_group(what it returned): mov ebx, eax; mov eax, 252; int $0x80.
    std::vector<uint8_t> code = vx::testing::syscall_code(nr, {a, b, c, d});
    code.insert(code.end(), {0x89, 0xc3, 0xb8, 252, 0, 0, 0, 0xcd, 0x80});
    const vx::ElfImage image = vx::testing::load_code(sandbox, code);
    vx::os::linux_i386::LinuxProcess process(sandbox, image, {});
    const vx::os::linux_i386::RunOutcome outcome = process.run();
    EXPECT_EQ(outcome.ending, vx::os::linux_i386::Ending::Exited);
    EXPECT_TRUE(memory.mapped(kBufferAt)) << "the buffer was unmapped";
    EXPECT_EQ(memory.buffer_bytes(), kBufferSize);
    return outcome.exit_status;
}

TEST(SharedBufferPersonality, MremapNeitherGrowsNorMovesABuffer) {
    constexpr uint32_t kMremap = 163, kMayMove = 1, kEfault = 14;
    const uint32_t size = uint32_t(kBufferSize);
    EXPECT_EQ(status_after(kMremap, kBufferAt, size, 2 * size, 0, vx::kRead | vx::kWrite), 256 - kEfault);
    EXPECT_EQ(status_after(kMremap, kBufferAt, size, 2 * size, kMayMove, vx::kRead | vx::kWrite), 256 - kEfault);
    EXPECT_EQ(status_after(kMremap, kBufferAt, size, size + 0x100000, kMayMove, vx::kRead), 256 - kEfault);
}

TEST(SharedBufferPersonality, MprotectGivesAReadOnlyBufferNoWrite) {
    constexpr uint32_t kMprotect = 125, kProtReadWrite = 3, kProtRead = 1;
    const uint32_t size = uint32_t(kBufferSize);
    EXPECT_NE(status_after(kMprotect, kBufferAt, size, kProtReadWrite, 0, vx::kRead), 0);
    EXPECT_EQ(status_after(kMprotect, kBufferAt, size, kProtRead, 0, vx::kRead | vx::kWrite), 0);
}

}  // namespace
