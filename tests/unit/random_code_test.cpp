// Random bytes as guest code: whatever they decode to, the host must end each
// run with a defined event, never a crash. The programs run in child
// processes so that a host crash is seen as a failure instead of ending the
// test run. Each program runs on fuel, so one that loops without a syscall
// ends with LimitExceeded after the same number of instructions on every
// machine: the whole test is deterministic.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "vx/sandbox.h"

namespace {

constexpr uint32_t kCode = 0x10000;
constexpr uint32_t kData = 0x20000;
constexpr int kPrograms = 20000;
constexpr int kEventsPerProgram = 50;
constexpr uint64_t kFuelPerProgram = 20000;

// Runs programs 0..kPrograms-1, writing each one's index to `progress`
// before starting it. Exits 0 when all are done, having printed how many
// ran out of fuel.
[[noreturn]] void run_random_programs(int progress) {
    int out_of_fuel = 0;
    vx::SandboxOptions options{.memory_size = 16u << 20};
    options.limits.instructions = kFuelPerProgram;
    vx::Sandbox sandbox(options);
    auto& memory = sandbox.memory();
    memory.map(kCode, 0x1000, vx::kRead | vx::kWrite | vx::kExec);
    memory.map(kData, 0x10000, vx::kRead | vx::kWrite);
    for (int p = 0; p < kPrograms; ++p) {
        if (write(progress, &p, sizeof p) != sizeof p) _exit(4);
        sandbox.add_fuel(kFuelPerProgram - *sandbox.fuel());
        std::mt19937 random(0x5eed0000u + uint32_t(p));
        std::vector<uint8_t> code(0x1000);
        for (auto& b : code) b = uint8_t(random());
        memory.write(kCode, code.data(), code.size());
        vx::Registers& r = sandbox.registers();
        r = vx::Registers{};
        // Registers pointing into guest memory make more of the code do something.
        r.eax = kData; r.ebx = kData + 0x100; r.ecx = 16; r.edx = kData + 0x2000;
        r.esi = kData + 0x4000; r.edi = kData + 0x8000; r.ebp = kData + 0xf000; r.esp = kData + 0xff00;
        r.eip = kCode + (random() % 0x800);
        for (int e = 0; e < kEventsPerProgram; ++e) {
            const vx::EventKind kind = sandbox.run().kind;
            if (kind == vx::EventKind::Fault) break;
            if (kind == vx::EventKind::LimitExceeded) {
                ++out_of_fuel;
                break;
            }
            r.eax = uint32_t(-ENOSYS);  // a syscall: answer it and go on
        }
    }
    std::printf("%d random programs, %d ended by running out of fuel (%llu instructions)\n", kPrograms,
                out_of_fuel, (unsigned long long)kFuelPerProgram);
    std::fflush(stdout);
    _exit(0);
}

TEST(RandomCode, HostSurvivesArbitraryGuestBytes) {
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(pipe_fds[0]);
        run_random_programs(pipe_fds[1]);
    }
    close(pipe_fds[1]);
    int started = -1;
    for (int p; read(pipe_fds[0], &p, sizeof p) == sizeof p;) started = p;
    close(pipe_fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "program " << started << ": the host died ("
        << (WIFSIGNALED(status) ? strsignal(WTERMSIG(status)) : "exit status") << ")";
}

}  // namespace
