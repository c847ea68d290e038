// The guest's descriptor table (descriptor_table.h): Linux's rules for
// numbers, dup, close-on-exec and execve, and the host descriptors it owns
// closed exactly once.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "os/linux_i386/descriptor_table.h"

namespace {

using vx::os::linux_i386::DescriptorTable;
using vx::os::linux_i386::Descriptor;
using vx::os::linux_i386::DirectoryCookies;
using vx::os::linux_i386::Place;

// Host descriptors open in this process now.
int open_host_fds() {
    DIR* dir = opendir("/proc/self/fd");
    if (!dir) return -1;
    int n = 0;
    while (dirent* e = readdir(dir))
        if (e->d_name[0] != '.') ++n;
    closedir(dir);
    return n - 1;  // not the directory's own
}

bool host_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

int new_host_fd() { return open("/dev/null", O_RDONLY | O_CLOEXEC); }

TEST(DescriptorTable, TakesTheLowestFreeNumber) {
    DescriptorTable table(64);
    EXPECT_EQ(table.install(new_host_fd(), 0, false), 0);
    EXPECT_EQ(table.install(new_host_fd(), 0, false), 1);
    EXPECT_EQ(table.install(new_host_fd(), 0, false), 2);
    EXPECT_EQ(table.close(1), 0);
    EXPECT_EQ(table.install(new_host_fd(), 0, false), 1);
    EXPECT_EQ(table.install(new_host_fd(), 0, false), 3);
    // At or above a number asked for (F_DUPFD), leaving the gap below free.
    EXPECT_EQ(table.install(new_host_fd(), 10, false), 10);
    EXPECT_EQ(table.install(new_host_fd(), 10, false), 11);
    EXPECT_EQ(table.install(new_host_fd(), 0, false), 4);
    EXPECT_EQ(table.duplicate(0, 10, false), 12);
    EXPECT_EQ(table.duplicate(0, 5, false), 5);
}

TEST(DescriptorTable, EmfileAtTheLimitClosesTheHostDescriptor) {
    DescriptorTable table(3);
    EXPECT_EQ(table.limit(), 3u);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(table.install(new_host_fd(), 0, false), i);
    int host = new_host_fd();
    ASSERT_GE(host, 0);
    EXPECT_EQ(table.install(host, 0, false), -EMFILE);
    EXPECT_FALSE(host_open(host));  // taken, and closed: never leaked
    EXPECT_EQ(table.duplicate(0, 0, false), -EMFILE);
    // F_DUPFD at or beyond the limit is EINVAL; dup2 there is EBADF.
    EXPECT_EQ(table.duplicate(0, 3, false), -EINVAL);
    EXPECT_EQ(table.duplicate_onto(0, 3, false), -EBADF);
    // Whatever is asked, no table is larger than kMaxDescriptors.
    EXPECT_EQ(DescriptorTable(1u << 20).limit(), DescriptorTable::kMaxDescriptors);
}

TEST(DescriptorTable, EbadfForNumbersThatAreNotOpen) {
    DescriptorTable table(16);
    EXPECT_EQ(table.close(0), -EBADF);
    EXPECT_EQ(table.find(0), nullptr);
    EXPECT_EQ(table.host(0), -1);
    EXPECT_EQ(table.host(UINT32_MAX), -1);
    EXPECT_EQ(table.duplicate(3, 0, false), -EBADF);
    EXPECT_EQ(table.duplicate_onto(3, 4, false), -EBADF);
    ASSERT_EQ(table.install(new_host_fd(), 0, false), 0);
    EXPECT_EQ(table.close(0), 0);
    EXPECT_EQ(table.close(0), -EBADF);  // closed once only
    EXPECT_EQ(table.find(0), nullptr);
}

TEST(DescriptorTable, Dup2OntoItselfChangesNothing) {
    DescriptorTable table(16);
    ASSERT_EQ(table.install(new_host_fd(), 0, true), 0);
    const int host = table.host(0);
    EXPECT_EQ(table.duplicate_onto(0, 0, false), 0);
    EXPECT_EQ(table.host(0), host);
    EXPECT_TRUE(table.find(0)->close_on_exec);  // dup2(fd, fd) leaves the flag
    EXPECT_TRUE(host_open(host));
}

TEST(DescriptorTable, DupMakesItsOwnHostDescriptorForTheSameFile) {
    DescriptorTable table(16);
    Place place;
    place.path = "/data/file";
    place.grant = 2;
    int pipe_ends[2];
    ASSERT_EQ(pipe2(pipe_ends, O_CLOEXEC), 0);
    ASSERT_EQ(table.install(pipe_ends[1], 0, true, place), 0);
    close(pipe_ends[0]);  // (only the write end is the table's)
    const int32_t copy = table.duplicate(0, 0, false);
    ASSERT_EQ(copy, 1);
    EXPECT_NE(table.host(1), table.host(0));
    EXPECT_EQ(table.find(1)->place.path, "/data/file");
    EXPECT_EQ(table.find(1)->place.grant, 2);
    // Dup clears close-on-exec on the copy; the original keeps it.
    EXPECT_FALSE(table.find(1)->close_on_exec);
    EXPECT_TRUE(table.find(0)->close_on_exec);
    // The same open file: its status flags are shared.
    ASSERT_EQ(fcntl(table.host(0), F_SETFL, O_NONBLOCK), 0);
    EXPECT_TRUE(fcntl(table.host(1), F_GETFL) & O_NONBLOCK);
    // dup2/dup3 onto an open number: the copy replaces it, with the flag asked for.
    ASSERT_EQ(table.install(new_host_fd(), 0, false), 2);
    const int replaced = table.host(2);
    EXPECT_EQ(table.duplicate_onto(0, 2, true), 2);
    EXPECT_FALSE(host_open(replaced));
    EXPECT_TRUE(table.find(2)->close_on_exec);
    EXPECT_EQ(table.find(2)->place.path, "/data/file");
}

TEST(DescriptorTable, Dup2KeepsItsTargetWhenTheHostCannotCopy) {
    DescriptorTable table(16);
    ASSERT_EQ(table.install(new_host_fd(), 0, false), 0);
    ASSERT_EQ(table.install(new_host_fd(), 0, false), 1);
    const int target_host = table.host(1);
    struct rlimit saved;
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
    struct rlimit tight = saved;
    tight.rlim_cur = 3;  // no host descriptor can be made above 2
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &tight), 0);
    const int32_t result = table.duplicate_onto(0, 1, false);
    setrlimit(RLIMIT_NOFILE, &saved);
    EXPECT_LT(result, 0);
    EXPECT_EQ(table.host(1), target_host);
    EXPECT_TRUE(host_open(target_host));
}

TEST(DescriptorTable, ExecveClosesTheCloseOnExecOnes) {
    DescriptorTable table(16);
    std::vector<int> hosts;
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(table.install(new_host_fd(), 0, i % 2 == 1), i);
        hosts.push_back(table.host(uint32_t(i)));
    }
    ASSERT_EQ(table.duplicate(1, 0, false), 5);  // a copy of a close-on-exec one stays
    table.close_on_exec();
    std::vector<uint32_t> left;
    table.for_each([&](uint32_t fd, Descriptor&) { left.push_back(fd); });
    EXPECT_EQ(left, (std::vector<uint32_t>{0, 2, 4, 5}));
    EXPECT_FALSE(host_open(hosts[1]));
    EXPECT_FALSE(host_open(hosts[3]));
    EXPECT_TRUE(host_open(hosts[0]));
    // Their numbers are free again, the lowest first.
    EXPECT_EQ(table.install(new_host_fd(), 0, false), 1);
}

TEST(DescriptorTable, ClosesEachHostDescriptorExactlyOnce) {
    const int before = open_host_fds();
    ASSERT_GT(before, 0);
    int unrelated = -1;
    {
        DescriptorTable table(32);
        for (int i = 0; i < 6; ++i) ASSERT_EQ(table.install(new_host_fd(), 0, i == 2), i);
        ASSERT_GE(table.duplicate(0, 0, false), 0);
        ASSERT_EQ(table.duplicate_onto(1, 4, false), 4);  // closes 4's
        ASSERT_EQ(table.duplicate_onto(1, 20, true), 20);
        ASSERT_EQ(table.install(new_host_fd(), 31, false), 31);
        EXPECT_EQ(table.install(new_host_fd(), 31, false), -EMFILE);
        std::vector<int> had;
        table.for_each([&](uint32_t, Descriptor& d) { had.push_back(d.host); });
        ASSERT_EQ(table.close(3), 0);
        table.close_on_exec();  // 2 and 20
        // The host hands a freed number out again, to something that is not
        // the table's: the table must never close it.
        unrelated = new_host_fd();
        EXPECT_NE(std::find(had.begin(), had.end(), unrelated), had.end());
        EXPECT_EQ(open_host_fds(), before + 6 + 1);  // 0, 1, 4, 5, 6 (the dup), 31; and `unrelated`
    }
    EXPECT_TRUE(host_open(unrelated));
    close(unrelated);
    EXPECT_EQ(open_host_fds(), before);
}

TEST(DescriptorTable, AForkedChildHoldsCopiesOfEveryDescriptor) {
    DescriptorTable table(16);
    ASSERT_EQ(table.install(new_host_fd(), 0, false), 0);
    ASSERT_EQ(table.install(new_host_fd(), 0, true), 1);  // kept by a fork, unlike execve
    const int before = open_host_fds();
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        bool ok = host_open(table.host(0)) && host_open(table.host(1)) && table.find(1)->close_on_exec;
        table.close_all();
        ok = ok && open_host_fds() == before - 2;
        _exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    // The child's closing closed its copies only.
    EXPECT_TRUE(host_open(table.host(0)));
    EXPECT_TRUE(host_open(table.host(1)));
}

TEST(DescriptorTable, IteratesInIncreasingOrder) {
    DescriptorTable table(64);
    ASSERT_EQ(table.install(new_host_fd(), 40, false), 40);
    ASSERT_EQ(table.install(new_host_fd(), 7, false), 7);
    ASSERT_EQ(table.install(new_host_fd(), 0, false), 0);
    std::vector<uint32_t> seen;
    table.for_each([&](uint32_t fd, Descriptor& d) {
        EXPECT_GE(d.host, 0);
        seen.push_back(fd);
    });
    EXPECT_EQ(seen, (std::vector<uint32_t>{0, 7, 40}));
}

TEST(DirectoryCookies, StandForHostOffsetsUntilRewound) {
    DirectoryCookies cookies;
    EXPECT_EQ(cookies.hand_out(int64_t(0x7fffffff12345678)), 1);
    EXPECT_EQ(cookies.hand_out(int64_t(0x1234567890)), 2);
    EXPECT_EQ(cookies.host_offset(2), int64_t(0x1234567890));
    EXPECT_EQ(cookies.host_offset(1), int64_t(0x7fffffff12345678));
    EXPECT_EQ(cookies.host_offset(3), -1);   // never handed out
    EXPECT_EQ(cookies.host_offset(-1), -1);
    EXPECT_EQ(cookies.host_offset(0), 0);    // rewound: handed out afresh
    EXPECT_EQ(cookies.host_offset(1), -1);
    EXPECT_EQ(cookies.hand_out(99), 1);
}

}  // namespace
