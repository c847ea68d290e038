// The private /tmp: removed whatever was built in it (at any depth, never
// through a symlink), by its owner or, when the owner is killed, by its
// watchdog; also when a library host (no vxrun) asks for one.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "os/linux_i386/initial_stack.h"
#include "os/linux_i386/process.h"
#include "os/linux_i386/scratch_directory.h"
#include "vx/sandbox.h"

namespace {

using vx::os::linux_i386::ScratchDirectory;

bool exists(const std::string& path) {
    struct stat st;
    return lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d))
            if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.emplace_back(e->d_name);
        closedir(d);
    }
    return names;
}

// Polls (the watchdog runs on its own time) for up to a minute.
bool becomes_empty(const std::string& dir) {
    for (int i = 0; i < 600; ++i) {
        if (entries(dir).empty()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

// A test's own TMPDIR, holding the scratch directories, beside a directory
// outside them that symlinks inside point to.
class ScratchDirectoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/vx-scratch-test-XXXXXX";
        ASSERT_NE(mkdtemp(pattern), nullptr);
        root_ = pattern;
        base_ = root_ + "/base";
        outside_ = root_ + "/outside";
        ASSERT_EQ(mkdir(base_.c_str(), 0700), 0);
        ASSERT_EQ(mkdir(outside_.c_str(), 0700), 0);
        std::ofstream(outside_ + "/keep") << "keep\n";
        const char* old = std::getenv("TMPDIR");
        if (old) old_tmpdir_ = old, had_tmpdir_ = true;
        setenv("TMPDIR", base_.c_str(), 1);
    }
    void TearDown() override {
        if (had_tmpdir_) setenv("TMPDIR", old_tmpdir_.c_str(), 1);
        else unsetenv("TMPDIR");
        std::system(("chmod -R u+rwx " + root_ + " 2>/dev/null; rm -rf " + root_).c_str());
    }

    // Builds, as a guest could, `depth` nested directories with a file and
    // symlinks out at the bottom, and an unreadable directory, in `dir`.
    void build_tree(const std::string& dir, int depth) {
        int at = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
        ASSERT_GE(at, 0);
        ASSERT_EQ(symlinkat(outside_.c_str(), at, "out"), 0);
        for (int i = 0; i < depth; ++i) {
            ASSERT_EQ(mkdirat(at, "d", 0700), 0) << "at depth " << i;
            int next = openat(at, "d", O_RDONLY | O_DIRECTORY);
            ASSERT_GE(next, 0);
            close(at);
            at = next;
        }
        ASSERT_EQ(symlinkat(outside_.c_str(), at, "out"), 0);
        ASSERT_EQ(symlinkat((outside_ + "/keep").c_str(), at, "keep"), 0);
        int file = openat(at, "file", O_WRONLY | O_CREAT, 0600);
        ASSERT_GE(file, 0);
        close(file);
        ASSERT_EQ(mkdirat(at, "unreadable", 0700), 0);
        ASSERT_EQ(symlinkat(outside_.c_str(), at, "unreadable/out"), 0);
        ASSERT_EQ(fchmodat(at, "unreadable", 0, 0), 0);
        close(at);
        ASSERT_EQ(chmod((dir + "/d").c_str(), 0500), 0);  // entries can no longer be removed from it
    }

    void expect_outside_intact() {
        EXPECT_TRUE(exists(outside_ + "/keep"));
        EXPECT_EQ(entries(outside_).size(), 1u);
    }

    std::string root_, base_, outside_, old_tmpdir_;
    bool had_tmpdir_ = false;
};

TEST_F(ScratchDirectoryTest, RemovesADeepTreeWithoutFollowingSymlinks) {
    std::string path;
    {
        ScratchDirectory scratch;
        path = scratch.host_path();
        ASSERT_EQ(path.rfind(base_ + "/vx-tmp-", 0), 0u) << path;
        build_tree(path, 2000);
    }
    EXPECT_FALSE(exists(path)) << "gone when the destructor returns";
    EXPECT_TRUE(entries(base_).empty());
    expect_outside_intact();
}

TEST_F(ScratchDirectoryTest, EmptyDirectoryKeepsTheDirectoryItself) {
    std::string dir = root_ + "/dir";
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    build_tree(dir, 700);
    int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(fd, 0);
    EXPECT_TRUE(vx::os::linux_i386::empty_directory(fd));
    close(fd);
    EXPECT_TRUE(exists(dir));
    EXPECT_TRUE(entries(dir).empty());
    expect_outside_intact();
}

// Forks a host that makes a ScratchDirectory, fills it, says where it is and
// waits; kills it with SIGKILL. The watchdog must remove the directory.
TEST_F(ScratchDirectoryTest, TheWatchdogRemovesItWhenTheOwnerIsKilled) {
    int report[2];
    ASSERT_EQ(pipe(report), 0);
    pid_t owner = fork();
    ASSERT_GE(owner, 0);
    if (owner == 0) {
        close(report[0]);
        ScratchDirectory scratch;
        build_tree(scratch.host_path(), 600);
        if (::testing::Test::HasFailure()) _exit(1);
        std::string line = scratch.host_path() + "\n";
        if (write(report[1], line.data(), line.size()) != ssize_t(line.size())) _exit(1);
        for (;;) pause();
    }
    close(report[1]);
    std::string line;
    char c;
    while (read(report[0], &c, 1) == 1 && c != '\n') line += c;
    close(report[0]);
    ASSERT_FALSE(line.empty()) << "the owner did not get as far as building its tree";
    ASSERT_TRUE(exists(line));
    kill(owner, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(owner, &status, 0), owner);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_TRUE(becomes_empty(base_)) << "left: " << entries(base_).size() << " entries in " << base_;
    expect_outside_intact();
}

TEST_F(ScratchDirectoryTest, TheWatchdogIsNoChildOfTheHost) {
    {
        ScratchDirectory scratch;
        int status;
        EXPECT_EQ(waitpid(-1, &status, WNOHANG), -1) << "a child of the host is left to wait for";
        EXPECT_EQ(errno, ECHILD);
    }
}

// A library host (no vxrun: the host process is not the guest's own) with
// ProcessOptions::private_tmp, on a guest that fills its /tmp.
std::vector<uint8_t> read_guest(const std::string& name) {
    std::ifstream in(std::string(VX_GUEST_DIR) + "/" + name, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

int run_library_guest(const std::vector<std::string>& argv) {
    std::vector<uint8_t> program = read_guest("deep_tmp");
    if (program.empty()) return -1;
    vx::Sandbox sandbox(vx::SandboxOptions{});
    vx::os::linux_i386::ProcessOptions options;
    vx::ElfImage image = vx::os::linux_i386::load_program(sandbox, program, argv, {}, options.stack_size);
    options.exe_path = "/deep_tmp";
    options.program = program;
    options.standard_fds = {0, 1, 2};  // it says "ready" on its stdout
    options.private_tmp = true;
    options.host_filter = false;
    vx::os::linux_i386::LinuxProcess guest(sandbox, image, options);
    return guest.run().exit_status;
}

TEST_F(ScratchDirectoryTest, ALibraryHostLeavesNothing) {
    if (read_guest("deep_tmp").empty()) GTEST_SKIP() << "the guest deep_tmp is not built";
    EXPECT_EQ(run_library_guest({"deep_tmp", "600", outside_}), 0);
    EXPECT_TRUE(entries(base_).empty()) << "left: " << entries(base_).size() << " entries";
    expect_outside_intact();
}

TEST_F(ScratchDirectoryTest, AKilledLibraryHostLeavesNothing) {
    if (read_guest("deep_tmp").empty()) GTEST_SKIP() << "the guest deep_tmp is not built";
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_t host = fork();
    ASSERT_GE(host, 0);
    if (host == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        _exit(run_library_guest({"deep_tmp", "600", outside_, "wait"}));
    }
    close(out[1]);
    std::string printed;
    char buffer[256];
    ssize_t n;
    while (printed.find("ready") == std::string::npos && (n = read(out[0], buffer, sizeof buffer)) > 0)
        printed.append(buffer, size_t(n));
    close(out[0]);
    ASSERT_NE(printed.find("ready"), std::string::npos) << printed;
    EXPECT_FALSE(entries(base_).empty());
    kill(host, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(host, &status, 0), host);
    EXPECT_TRUE(becomes_empty(base_)) << "left: " << entries(base_).size() << " entries";
    expect_outside_intact();
}

}  // namespace
