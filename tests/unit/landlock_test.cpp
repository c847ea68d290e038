// The Landlock domain on its own, at the kernel's ABI and at each older one
// it degrades to (abi_limit stands for an older kernel): files beneath the
// rules only, and the signal scope only where the ABI has it. Each case forks
// and enters the domain in the child.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <string>

#include "os/linux_i386/landlock.h"

namespace {

using vx::os::linux_i386::enter_landlock_domain;
using vx::os::linux_i386::HostAccess;
using vx::os::linux_i386::LandlockOutcome;

int kernel_abi() {
    long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, 1U /* LANDLOCK_CREATE_RULESET_VERSION */);
    return abi < 0 ? 0 : int(abi);
}

class LandlockTest : public ::testing::Test {
protected:
    void SetUp() override {
        char path[] = "/tmp/vx-landlock-test-XXXXXX";
        ASSERT_NE(mkdtemp(path), nullptr);
        root_ = path;
        for (const char* dir : {"/in", "/ro", "/out"}) ASSERT_EQ(0, mkdir((root_ + dir).c_str(), 0700));
        for (const char* file : {"/in/f", "/ro/f", "/out/f"}) {
            int fd = open((root_ + file).c_str(), O_WRONLY | O_CREAT, 0600);
            ASSERT_GE(fd, 0);
            close(fd);
        }
    }
    void TearDown() override {
        std::string command = "rm -rf '" + root_ + "'";
        EXPECT_EQ(0, std::system(command.c_str()));
    }

    // Enters the domain (at most `abi_limit`) in a child and runs `check`
    // there; the child's exit status: 0 when every check held, else the
    // number of the first that did not.
    int in_domain(int abi_limit, const std::function<int(const LandlockOutcome&)>& check) {
        pid_t pid = fork();
        if (pid == 0) {
            LandlockOutcome outcome = enter_landlock_domain(
                {{root_ + "/in", HostAccess::ReadWrite}, {root_ + "/ro", HostAccess::ReadOnly}}, abi_limit);
            _exit(check(outcome));
        }
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    bool opens(const std::string& file, int flags) {
        int fd = open((root_ + file).c_str(), flags | O_CLOEXEC, 0600);
        if (fd >= 0) close(fd);
        return fd >= 0;
    }

    std::string root_;
};

TEST_F(LandlockTest, HoldsFilesToTheRulesAtEveryAbi) {
    const int abi = kernel_abi();
    if (abi == 0) GTEST_SKIP() << "no Landlock on this kernel";
    for (int limit = 1; limit <= abi; ++limit) {
        SCOPED_TRACE("ABI " + std::to_string(limit));
        EXPECT_EQ(0, in_domain(limit, [&](const LandlockOutcome& outcome) {
                      if (outcome.abi != limit || !outcome.entered) return 1;
                      if (!opens("/in/f", O_RDWR) || !opens("/in/new", O_WRONLY | O_CREAT)) return 2;
                      if (!opens("/ro/f", O_RDONLY) || opens("/ro/f", O_WRONLY)) return 3;
                      if (opens("/out/f", O_RDONLY) || opens("/out/f", O_WRONLY) || opens("/out/new", O_CREAT))
                          return 4;
                      if (unlink((root_ + "/out/f").c_str()) == 0 || errno != EACCES) return 5;
                      if (opens("", O_RDONLY | O_DIRECTORY)) return 6;  // listing what holds the grants
                      return 0;
                  }));
    }
}

TEST_F(LandlockTest, ScopesSignalsFromAbi6AndSaysWhatIsMissingBelow) {
    const int abi = kernel_abi();
    if (abi == 0) GTEST_SKIP() << "no Landlock on this kernel";
    for (int limit = 1; limit <= abi; ++limit) {
        SCOPED_TRACE("ABI " + std::to_string(limit));
        EXPECT_EQ(0, in_domain(limit, [&](const LandlockOutcome& outcome) {
                      const bool scoped = limit >= 6;
                      const bool said = std::find(outcome.missing.begin(), outcome.missing.end(),
                                                  "signals to other processes") != outcome.missing.end();
                      if (said == scoped) return 1;
                      // The test process is outside the child's domain; signal 0 sends nothing.
                      const int result = kill(getppid(), 0);
                      if (scoped ? (result == 0 || errno != EPERM) : result != 0) return 2;
                      pid_t member = fork();  // inside the domain: always reachable
                      if (member == 0) {
                          pause();
                          _exit(0);
                      }
                      const int to_member = kill(member, SIGKILL);
                      waitpid(member, nullptr, 0);
                      return to_member == 0 ? 0 : 3;
                  }));
    }
}

TEST(Landlock, SaysWhatIsNotHeldWithoutLandlock) {
    LandlockOutcome none;
    none.missing = {"files outside the grants"};
    EXPECT_EQ("no Landlock; not held by it: files outside the grants", vx::os::linux_i386::describe(none));
    LandlockOutcome full;
    full.abi = 7;
    full.entered = true;
    EXPECT_EQ("Landlock ABI 7", vx::os::linux_i386::describe(full));
}

}  // namespace
