// Random bytes as guest code.
//  - Here, under coverage: the translator translates a block at every offset
//    of the bytes (so also from the middle of instructions): decoder, policy,
//    encoder and the confinement check must never crash or throw anything
//    but vx::Error.
//  - In a forked child with a time limit: the bytes run in a fresh sandbox
//    (for half the inputs with fuel given 37 instructions at a time, and a
//    wall-time limit), and the child must end in a defined way (an event, a
//    budget of events spent, a limit, the time limit). A host crash there, a sanitizer report, or an
//    unexpected signal aborts this process with the input.
#include <errno.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "dbt/cache/code_cache.h"
#include "dbt/translate/translator.h"
#include "vx/sandbox.h"

namespace {

constexpr uint32_t kCode = 0x10000, kData = 0x20000, kStackTop = 0x40000;
constexpr size_t kMaxCode = 4096;

// Exit statuses no sanitizer uses (they exit 1 after a report).
enum ChildEnd { kBudgetSpent = 40, kFault, kLimit, kOther };

[[noreturn]] void run_in_child(const uint8_t* code, size_t size) {
    signal(SIGALRM, SIG_DFL);  // not libFuzzer's timeout handler: its default action
    itimerval limit{};
    limit.it_value.tv_usec = 20000;  // ends a guest that loops
    setitimer(ITIMER_REAL, &limit, nullptr);
    vx::SandboxOptions options{.memory_size = 16u << 20};
    constexpr uint64_t kFuelSlice = 37;  // stops often: short blocks, refunds
    if (size % 2) {
        options.limits.instructions = kFuelSlice;
        options.limits.wall_time_ns = 10'000'000;
    }
    vx::Sandbox sandbox(options);
    auto& memory = sandbox.memory();
    memory.map(kCode, kMaxCode, vx::kRead | vx::kWrite | vx::kExec);
    memory.map(kData, 0x10000, vx::kRead | vx::kWrite);
    memory.map(kStackTop - 0x10000, 0x10000, vx::kRead | vx::kWrite);
    memory.write(kCode, code, size);
    sandbox.set_descriptor(12, kData);  // a segment load of selector 0x63 (any RPL) resolves to it
    auto& regs = sandbox.registers();
    regs.eip = kCode;
    regs.esp = kStackTop - 0x100;
    regs.ebx = regs.esi = regs.edi = regs.ebp = kData + 0x8000;
    for (int events = 0; events < 1024; ++events) {
        vx::Event event = sandbox.run();
        switch (event.kind) {
        case vx::EventKind::Syscall: regs.eax = uint32_t(-38); break;  // ENOSYS, and on
        case vx::EventKind::Fault: _exit(kFault);
        case vx::EventKind::LimitExceeded:
            if (event.limit_exceeded.limit != vx::Limit::Instructions) _exit(kLimit);
            sandbox.add_fuel(kFuelSlice);
            break;
        default: _exit(kOther);
        }
    }
    _exit(kBudgetSpent);
}

void translate_everywhere(const uint8_t* code, size_t size) {
    static vx::GuestMemory memory(16u << 20);
    static vx::dbt::CodeCache cache(64u << 20);
    static vx::dbt::RuntimeLinks links;
    // Both kinds of block: without fuel, and counting it.
    static vx::dbt::Translator plain(memory, cache, links, false), fueled(memory, cache, links, true);
    static uint64_t mark = [] {
        memory.map(kCode, kMaxCode, vx::kRead | vx::kWrite | vx::kExec);
        // Never run here: the links only need to be reachable by rel32.
        links.exit_stub = links.miss_path = cache.cursor();
        cache.commit(64);
        return cache.cursor();
    }();
    std::vector<uint8_t> page(kMaxCode, 0xcc);  // int3 after the bytes
    std::memcpy(page.data(), code, size);
    memory.write(kCode, page.data(), page.size());
    const size_t stride = std::max<size_t>(1, size / 64);
    for (size_t offset = 0; offset < std::max<size_t>(size, 1); offset += stride) {
        for (vx::dbt::Translator* translator : {&plain, &fueled}) {
            if (cache.available() < vx::dbt::Translator::kMaxBlockBytes) cache.rewind(mark);
            try {
                translator->translate(kCode + uint32_t(offset), {}, [](uint32_t) { return uint64_t(0); });
            } catch (const vx::Error&) {
                // a block the translator refuses to build: its own clean verdict
            }
        }
    }
    cache.rewind(mark);
}

unsigned long long outcomes[kOther + 2];  // by ChildEnd, and [kOther + 1]: the time limit

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::atexit([] {
        std::fprintf(stderr,
                     "guest_code_fuzzer: runs ending in a fault %llu, 1024 events %llu, "
                     "a wall-time limit %llu, the time limit %llu, other events %llu\n",
                     outcomes[kFault], outcomes[kBudgetSpent], outcomes[kLimit],
                     outcomes[kOther + 1], outcomes[kOther]);
    });
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    size = std::min(size, kMaxCode);
    translate_everywhere(data, size);
    pid_t child = fork();
    if (child < 0) return 0;
    if (child == 0) run_in_child(data, size);
    int status = 0;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) continue;  // libFuzzer's timeout alarm
    bool defined = (WIFEXITED(status) && WEXITSTATUS(status) >= kBudgetSpent && WEXITSTATUS(status) <= kOther) ||
                   (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM);
    if (!defined) {  // the host did not survive the guest: keep the input
        if (WIFSIGNALED(status)) std::fprintf(stderr, "guest_code_fuzzer: the host died of signal %d\n", WTERMSIG(status));
        else std::fprintf(stderr, "guest_code_fuzzer: the host exited %d\n", WEXITSTATUS(status));
        std::abort();
    }
    ++outcomes[WIFEXITED(status) ? WEXITSTATUS(status) : kOther + 1];
    return 0;
}
