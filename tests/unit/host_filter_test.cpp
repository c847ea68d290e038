// The host filter: what a vxrun process may still ask of the kernel once its
// guest runs. Each case forks, puts the filter on the child and makes one call.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <asm/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <vector>

#include "os/linux_i386/host_filter.h"
#include "vx/sandbox.h"

namespace {

// Runs `call` in a filtered child; returns the child's wait status. The child
// exits 0 when the call returned, so a status of 0 means "allowed".
int status_of_filtered(const std::function<void()>& call,
                       const std::vector<vx::os::linux_i386::ExecutableRegion>& executable = {},
                       const std::vector<long>& engine_calls = {}) {
    pid_t pid = fork();
    if (pid == 0) {
        vx::os::linux_i386::install_host_filter(engine_calls, executable);
        call();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

bool killed_by_sigsys(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }

TEST(HostFilter, AllowsWhatThePersonalityUses) {
    int status = status_of_filtered([] {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0 || write(fds[1], "x", 1) != 1) _exit(1);
        char c;
        if (read(fds[0], &c, 1) != 1 || getpid() <= 0) _exit(2);
        pid_t child = fork();  // guest forks are host forks
        if (child == 0) _exit(7);
        int child_status = 0;
        if (child < 0 || waitpid(child, &child_status, 0) != child || WEXITSTATUS(child_status) != 7) _exit(3);
    });
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
}

// int $0x80 from 64-bit code is the i386 ABI: getpid (20) there.
void i386_abi_getpid() {
    long result;
    asm volatile("int $0x80" : "=a"(result) : "a"(20L) : "memory");
}

// The wait status of a child, unfiltered, that makes an i386 ABI call.
int status_of_unfiltered_i386_abi_call() {
    pid_t pid = fork();
    if (pid == 0) {
        i386_abi_getpid();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

TEST(HostFilter, KillsAnI386AbiCall) {
    const int unfiltered = status_of_unfiltered_i386_abi_call();
    const int filtered = status_of_filtered(i386_abi_getpid);
    if (WIFEXITED(unfiltered) && WEXITSTATUS(unfiltered) == 0) {
        // The kernel has IA-32 emulation: the call reaches it, and the filter kills.
        EXPECT_TRUE(killed_by_sigsys(filtered)) << "status " << filtered;
    } else {
        // Without IA-32 emulation the kernel refuses int $0x80 itself (SIGSEGV)
        // before any filter sees it; filtered, it must not return either.
        ASSERT_TRUE(WIFSIGNALED(unfiltered) && WTERMSIG(unfiltered) == SIGSEGV) << "status " << unfiltered;
        std::printf("this kernel has no IA-32 emulation: int $0x80 is refused with SIGSEGV before the filter\n");
        EXPECT_TRUE(WIFSIGNALED(filtered) && (WTERMSIG(filtered) == SIGSEGV || WTERMSIG(filtered) == SIGSYS))
            << "status " << filtered;
    }
}

TEST(HostFilter, KillsAnX32AbiCall) {
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { syscall(0x40000000 | SYS_getpid); })));
}

TEST(HostFilter, KillsExecve) {
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] {
        char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
        execve("/bin/true", argv, nullptr);
    })));
}

TEST(HostFilter, KillsPtraceAndSockets) {
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { ptrace(PTRACE_TRACEME, 0, nullptr, nullptr); })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { socket(AF_UNIX, SOCK_STREAM, 0); })));
}

TEST(HostFilter, KillsNamespacesAndThreads) {
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { unshare(CLONE_NEWUSER); })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0); })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] {
        syscall(SYS_clone, CLONE_VM | CLONE_THREAD | CLONE_SIGHAND, 0, 0, 0, 0);
    })));
}

TEST(HostFilter, KillsTerminalInjection) {
    // TIOCSTI would push input into the terminal vxrun runs on.
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] {
        char c = 'x';
        ioctl(0, TIOCSTI, &c);
    })));
    EXPECT_EQ(0, status_of_filtered([] {
        struct termios t;
        tcgetattr(0, &t);  // isatty's request is allowed, whatever it answers
    }));
}

TEST(HostFilter, KillsRequestsForExecutableMemory) {
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] {
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] {
        void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) _exit(1);
        mprotect(p, 4096, PROT_READ | PROT_EXEC);
    })));
    EXPECT_EQ(0, status_of_filtered([] {
        void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) != 0) _exit(1);
    }));
}

TEST(HostFilter, AllowsOnlyTheEnginesExecutableRemap) {
    // As the code cache after a fork: the same place, size and protection, a new memfd.
    const size_t size = 8192;
    void* view = mmap(nullptr, size, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ASSERT_NE(view, MAP_FAILED);
    const std::vector<vx::os::linux_i386::ExecutableRegion> executable = {{uint64_t(uintptr_t(view)), size}};
    auto remap = [view, size](int prot, size_t length) {
        int fd = memfd_create("test", MFD_CLOEXEC);
        if (fd < 0 || ftruncate(fd, off_t(size)) != 0) _exit(1);
        if (mmap(view, length, prot, MAP_SHARED | MAP_FIXED, fd, 0) != view) _exit(2);
    };
    const std::vector<long> engine_calls = vx::Sandbox().host_calls();  // the memfd is the engine's call
    EXPECT_EQ(0, status_of_filtered([&] { remap(PROT_READ | PROT_EXEC, size); }, executable, engine_calls));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([&] { remap(PROT_READ | PROT_WRITE | PROT_EXEC, size); },
                                                    executable, engine_calls)));
    EXPECT_TRUE(killed_by_sigsys(
        status_of_filtered([&] { remap(PROT_READ | PROT_EXEC, 4096); }, executable, engine_calls)));
    munmap(view, size);
}

// The engine's own host calls are the engine's to name (Sandbox::host_calls),
// not the personality's to know: without them they are refused, with them
// they go through.
TEST(HostFilter, AllowsWhatTheEngineSaysItCalls) {
    const std::vector<long> engine_calls = vx::Sandbox().host_calls();
    ASSERT_FALSE(engine_calls.empty());
    auto set_gs_base = [] {
        unsigned long base = 0;
        if (syscall(SYS_arch_prctl, ARCH_GET_GS, &base) != 0) _exit(1);
    };
    auto make_memfd = [] {
        const int fd = memfd_create("code cache", MFD_CLOEXEC);
        if (fd < 0 || close(fd) != 0) _exit(1);
    };
    auto make_timer = [] {
        timer_t timer;
        sigevent event{};
        event.sigev_notify = SIGEV_NONE;
        if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0 || timer_delete(timer) != 0) _exit(1);
    };
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered(set_gs_base)));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered(make_timer)));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered(make_memfd)));
    EXPECT_EQ(0, status_of_filtered(make_memfd, {}, engine_calls));
    EXPECT_EQ(0, status_of_filtered(set_gs_base, {}, engine_calls));
    EXPECT_EQ(0, status_of_filtered(make_timer, {}, engine_calls));
}

// Whatever an engine names, executable memory stays refused.
TEST(HostFilter, EnginesCallsNeverOpenExecutableMemory) {
    const std::vector<long> engine_calls = {SYS_mmap, SYS_mprotect};
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] {
        mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    }, {}, engine_calls)));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] {
        void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) _exit(1);
        mprotect(p, 4096, PROT_READ | PROT_EXEC);
    }, {}, engine_calls)));
}

TEST(HostFilter, KillsCallsThatNameAnotherProcessOrAPath) {
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { kill(getppid(), 0); })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { kill(-1, 0); })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] {
        struct rlimit limit;
        prlimit(getppid(), RLIMIT_NOFILE, nullptr, &limit);
    })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { chmod("/nonexistent", 04777); })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { chown("/nonexistent", 0, 0); })));
    EXPECT_TRUE(killed_by_sigsys(status_of_filtered([] { utimensat(AT_FDCWD, "/nonexistent", nullptr, 0); })));
    EXPECT_EQ(0, status_of_filtered([] {
        struct rlimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(1);
        if (futimens(1, nullptr) != 0 && errno == ENOSYS) _exit(2);  // whatever stdout is, the call is made
    }));
}

}  // namespace
