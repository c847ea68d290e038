// host_confinement_test GUEST: runs host code inside a confined vxrun process
// on purpose, and shows that what escaped code tried before the Landlock domain
// existed is refused now.
//
// The harness (this process, never confined) makes a scratch tree, a
// bystander process of the same user, and then a child that does what vxrun
// does: a Sandbox with GUEST loaded, a LinuxProcess with a writable grant, a
// read-only grant and a private /tmp, and LinuxProcess::confine_host (what
// run() calls before the guest's first instruction). That child stands for
// escaped code: it then tries each action itself, each in a fork of its own (a
// fork inherits the domain and the filter) so that a SIGSYS shows which layer
// refused. Afterwards the harness checks that the bystander lives and that
// nothing outside the grants changed. Where the kernel's Landlock is missing
// or older than a check needs, an action it lets through is a counted skip.
#include <fcntl.h>
#include <linux/landlock.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <functional>
#include <string>
#include <vector>

#include "os/linux_i386/initial_stack.h"
#include "os/linux_i386/process.h"
#include "vx/error.h"
#include "vx/sandbox.h"

namespace {

constexpr int kSkip = 77;  // SKIP_RETURN_CODE: no Landlock at all here

enum class Expect { Allowed, SeccompKills, LandlockRefuses };

struct Check {
    const char* what;
    Expect expect;
    int landlock_abi = 0;  // the ABI that holds it (LandlockRefuses)
    std::function<int()> action;  // 0, or the errno it failed with
};

int result(long r) { return r < 0 ? errno : 0; }
int result_fd(int fd) {
    if (fd < 0) return errno;
    close(fd);
    return 0;
}

struct Tally {
    int passed = 0, failed = 0, skipped = 0;
};

// Runs `check` in a fork of the (confined) caller and judges how it ended.
void run_check(const Check& check, int abi, Tally& tally) {
    std::fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        int error = check.action();
        _exit(error == 0 ? 0 : error == EACCES || error == EPERM || error == EXDEV ? 1 : 100 + (error & 0x7f));
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        std::printf("FAIL %s: could not fork (%s)\n", check.what, std::strerror(errno));
        ++tally.failed;
        return;
    }
    const bool sigsys = WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
    const bool allowed = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const bool refused = WIFEXITED(status) && WEXITSTATUS(status) == 1;
    std::string how = sigsys    ? "killed by SIGSYS (host filter)"
                      : allowed ? "allowed"
                      : refused ? "refused with EACCES/EPERM/EXDEV (Landlock)"
                      : WIFEXITED(status) ? "failed with errno " + std::to_string(WEXITSTATUS(status) - 100)
                                          : "died of signal " + std::to_string(WTERMSIG(status));
    bool pass = false, skip = false;
    switch (check.expect) {
    case Expect::Allowed: pass = allowed; break;
    case Expect::SeccompKills: pass = sigsys; break;
    case Expect::LandlockRefuses:
        pass = refused;
        skip = allowed && abi < check.landlock_abi;
        break;
    }
    if (pass) {
        std::printf("ok   %s: %s\n", check.what, how.c_str());
        ++tally.passed;
    } else if (skip) {
        std::printf("SKIP %s: %s (this kernel's Landlock ABI %d; it needs %d)\n", check.what, how.c_str(), abi,
                    check.landlock_abi);
        ++tally.skipped;
    } else {
        std::printf("FAIL %s: %s\n", check.what, how.c_str());
        ++tally.failed;
    }
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::vector<uint8_t> contents;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return contents;
    int c;
    while ((c = std::fgetc(f)) != EOF) contents.push_back(uint8_t(c));
    std::fclose(f);
    return contents;
}

void write_file(const std::string& path, const char* text, mode_t mode) {
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0 || write(fd, text, std::strlen(text)) < 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
    close(fd);
}

std::vector<std::string> entries_of(const std::string& dir) {
    std::vector<std::string> names;
    if (DIR* d = opendir(dir.c_str())) {
        while (dirent* e = readdir(d))
            if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) names.push_back(e->d_name);
        closedir(d);
    }
    return names;
}

// The confined side: what vxrun does, then the escaped code's attempts.
int confined(const std::string& guest, const std::string& root, pid_t bystander, int abi) {
    const std::string outside = root + "/outside", secret = outside + "/secret";
    const std::string granted = root + "/granted", readonly = root + "/readonly";
    Tally tally;
    {
        std::vector<uint8_t> program = read_file(guest);
        vx::SandboxOptions options;
        vx::Sandbox sandbox(options);
        vx::os::linux_i386::ProcessOptions process;
        vx::ElfImage image = vx::os::linux_i386::load_program(sandbox, program, {guest}, {}, process.stack_size);
        process.exe_path = "/guest";
        process.mounts = {{"/data", granted, true}, {"/ro", readonly, false}};
        process.program = std::move(program);
        process.own_host_process = true;
        process.private_tmp = true;
        process.host_filter = true;
        vx::os::linux_i386::LinuxProcess linux_process(sandbox, image, process);
        linux_process.confine_host();
        std::printf("confined: %s\n", linux_process.host_confinement().c_str());

        static int stack_probe;
        auto page_of = [](const void* p) { return reinterpret_cast<void*>(uintptr_t(p) & ~uintptr_t(4095)); };
        const std::string mem = "/proc/" + std::to_string(bystander) + "/mem";
        // Where the kernel's Landlock cannot scope signals, the attempts send
        // signal 0 (permission checked, nothing sent): the bystander must
        // live to show the rest.
        const int lethal = abi >= 6 ? SIGKILL : 0;
        const Check checks[] = {
            // Files outside every grant.
            {"read a file outside the grants", Expect::LandlockRefuses, 1,
             [&] { return result_fd(open(secret.c_str(), O_RDONLY)); }},
            {"write a file outside the grants", Expect::LandlockRefuses, 1,
             [&] { return result_fd(open(secret.c_str(), O_WRONLY)); }},
            {"create a file outside the grants", Expect::LandlockRefuses, 1,
             [&] { return result_fd(open((outside + "/new").c_str(), O_WRONLY | O_CREAT, 0600)); }},
            {"rename a file outside the grants", Expect::LandlockRefuses, 1,
             [&] { return result(rename(secret.c_str(), (outside + "/moved").c_str())); }},
            {"unlink a file outside the grants", Expect::LandlockRefuses, 1,
             [&] { return result(unlink(secret.c_str())); }},
            {"symlink outside the grants", Expect::LandlockRefuses, 1,
             [&] { return result(symlink("/etc/passwd", (outside + "/link").c_str())); }},
            {"mkdir outside the grants", Expect::LandlockRefuses, 1,
             [&] { return result(mkdir((outside + "/dir").c_str(), 0700)); }},
            {"link a file outside into the grant", Expect::LandlockRefuses, 1,
             [&] { return result(link(secret.c_str(), (granted + "/stolen").c_str())); }},
            {"rename a file outside into the grant", Expect::LandlockRefuses, 1,
             [&] { return result(rename(secret.c_str(), (granted + "/stolen").c_str())); }},
            {"chmod 04777 a file outside the grants", Expect::SeccompKills, 0,
             [&] { return result(chmod(secret.c_str(), 04777)); }},
            {"fchmodat a file outside the grants", Expect::SeccompKills, 0,
             [&] { return result(fchmodat(AT_FDCWD, secret.c_str(), 04777, 0)); }},
            {"chown a file outside the grants", Expect::SeccompKills, 0,
             [&] { return result(chown(secret.c_str(), getuid(), getgid())); }},
            {"truncate a file outside the grants by path", Expect::SeccompKills, 0,
             [&] { return result(truncate(secret.c_str(), 0)); }},
            {"utimensat a file outside the grants by path", Expect::SeccompKills, 0,
             [&] { return result(utimensat(AT_FDCWD, secret.c_str(), nullptr, 0)); }},
            {"list the host's /", Expect::LandlockRefuses, 1,
             [&] { return result_fd(open("/", O_RDONLY | O_DIRECTORY)); }},
            {"write to a read-only grant", Expect::LandlockRefuses, 1,
             [&] { return result_fd(open((readonly + "/file").c_str(), O_WRONLY)); }},
            // Other processes.
            {"kill a bystander", Expect::SeccompKills, 0, [&] { return result(kill(bystander, SIGKILL)); }},
            {"kill(-1, 0)", Expect::SeccompKills, 0, [&] { return result(kill(-1, 0)); }},
            {"tkill a bystander", Expect::SeccompKills, 0,
             [&] { return result(syscall(SYS_tkill, bystander, SIGKILL)); }},
            {"tgkill a bystander", Expect::LandlockRefuses, 6,
             [&] { return result(syscall(SYS_tgkill, bystander, bystander, lethal)); }},
            {"pidfd_send_signal to a bystander", Expect::LandlockRefuses, 6,
             [&] {
                 int pidfd = int(syscall(SYS_pidfd_open, bystander, 0));
                 if (pidfd < 0) return errno;
                 int error = result(syscall(SYS_pidfd_send_signal, pidfd, lethal, nullptr, 0));
                 close(pidfd);
                 return error;
             }},
            {"prlimit64 on a bystander", Expect::SeccompKills, 0,
             [&] {
                 struct rlimit64 none{0, 0};
                 return result(syscall(SYS_prlimit64, bystander, RLIMIT_NOFILE, &none, nullptr));
             }},
            {"open a bystander's /proc/PID/mem to read", Expect::LandlockRefuses, 1,
             [&] { return result_fd(open(mem.c_str(), O_RDONLY)); }},
            {"open a bystander's /proc/PID/mem to write", Expect::LandlockRefuses, 1,
             [&] { return result_fd(open(mem.c_str(), O_RDWR)); }},
            {"process_vm_writev to a bystander", Expect::SeccompKills, 0,
             [&] {
                 char byte = 0;
                 iovec local{&byte, 1}, remote{&byte, 1};
                 return result(syscall(SYS_process_vm_writev, bystander, &local, 1, &remote, 1, 0));
             }},
            {"open /proc/self/mem read-write", Expect::LandlockRefuses, 1,
             [&] { return result_fd(open("/proc/self/mem", O_RDWR)); }},
            // The network: no socket at all (Landlock denies TCP bind and
            // connect, and scopes abstract UNIX sockets, behind that).
            {"open a TCP socket", Expect::SeccompKills, 0, [&] { return result_fd(socket(AF_INET, SOCK_STREAM, 0)); }},
            {"open a UNIX socket", Expect::SeccompKills, 0, [&] { return result_fd(socket(AF_UNIX, SOCK_STREAM, 0)); }},
            // Executable memory.
            {"mmap anonymous RWX", Expect::SeccompKills, 0,
             [&] {
                 void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                 return p == MAP_FAILED ? errno : 0;
             }},
            {"mmap a memfd executable", Expect::SeccompKills, 0,
             [&] {
                 int fd = memfd_create("shellcode", 0);
                 if (fd < 0 || ftruncate(fd, 4096) != 0) return errno;
                 void* p = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
                 return p == MAP_FAILED ? errno : 0;
             }},
            {"mprotect the stack RWX", Expect::SeccompKills, 0,
             [&] {
                 int local = 0;
                 return result(mprotect(page_of(&local), 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
             }},
            {"mprotect vxrun's own code RWX", Expect::SeccompKills, 0,
             [&] {
                 return result(mprotect(page_of(reinterpret_cast<const void*>(&run_check)), 4096,
                                        PROT_READ | PROT_WRITE | PROT_EXEC));
             }},
            {"mprotect data executable", Expect::SeccompKills, 0,
             [&] { return result(mprotect(page_of(&stack_probe), 4096, PROT_READ | PROT_EXEC)); }},
            // What the personality still does.
            {"create, write, rename, list and remove in the writable grant", Expect::Allowed, 0,
             [&] {
                 const std::string a = granted + "/a", b = granted + "/sub/b";
                 int fd = open(a.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
                 if (fd < 0 || write(fd, "x", 1) != 1 || close(fd) != 0) return errno;
                 if (mkdir((granted + "/sub").c_str(), 0700) != 0 || rename(a.c_str(), b.c_str()) != 0) return errno;
                 if (symlink("b", (granted + "/sub/l").c_str()) != 0) return errno;
                 if (result_fd(open(granted.c_str(), O_RDONLY | O_DIRECTORY))) return errno;
                 if (unlink((granted + "/sub/l").c_str()) || unlink(b.c_str()) || rmdir((granted + "/sub").c_str()))
                     return errno;
                 return 0;
             }},
            {"read a read-only grant", Expect::Allowed, 0,
             [&] { return result_fd(open((readonly + "/file").c_str(), O_RDONLY)); }},
            {"use /dev/null and /dev/urandom", Expect::Allowed, 0,
             [&] {
                 if (int e = result_fd(open("/dev/null", O_WRONLY | O_TRUNC))) return e;
                 return result_fd(open("/dev/urandom", O_RDONLY));
             }},
            {"read /proc/self/stat (the process table does)", Expect::Allowed, 0,
             [&] { return result_fd(open("/proc/self/stat", O_RDONLY)); }},
            {"signal a process of the sandbox through its pidfd", Expect::Allowed, 0,
             [&] {
                 pid_t member = fork();
                 if (member == 0) {
                     pause();
                     _exit(0);
                 }
                 int pidfd = int(syscall(SYS_pidfd_open, member, 0));
                 int error = pidfd < 0 ? errno : result(syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0));
                 int status = 0;
                 waitpid(member, &status, 0);
                 return error ? error : WIFSIGNALED(status) ? 0 : ECHILD;
             }},
            {"raise a signal at itself (tgkill)", Expect::Allowed, 0,
             [&] {
                 signal(SIGUSR1, SIG_IGN);
                 return result(raise(SIGUSR1));
             }},
            {"map and protect memory without PROT_EXEC, its own limits", Expect::Allowed, 0,
             [&] {
                 void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                 if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) != 0) return errno;
                 struct rlimit limit;
                 return result(getrlimit(RLIMIT_NOFILE, &limit));
             }},
        };
        for (const Check& check : checks) run_check(check, abi, tally);
    }  // the LinuxProcess ends: its private /tmp is removed, confined as it is
    std::printf("confined side: %d passed, %d failed, %d skipped\n", tally.passed, tally.failed, tally.skipped);
    std::fflush(nullptr);
    return tally.failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: host_confinement_test GUEST\n");
        return 2;
    }
    char root_template[] = "/tmp/vx-confinement-XXXXXX";
    if (!mkdtemp(root_template)) return std::perror("mkdtemp"), 1;
    const std::string root = root_template;
    for (const char* dir : {"/outside", "/granted", "/readonly", "/tmpdir"}) mkdir((root + dir).c_str(), 0700);
    write_file(root + "/outside/secret", "secret\n", 0600);
    write_file(root + "/readonly/file", "read me\n", 0600);
    setenv("TMPDIR", (root + "/tmpdir").c_str(), 1);  // where the private /tmp is made and removed
    const long abi_answer = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
    const int abi = abi_answer < 0 ? 0 : int(abi_answer);
    std::printf("this kernel's Landlock ABI: %d\n", abi);

    int keep_alive[2];
    if (pipe(keep_alive) != 0) return std::perror("pipe"), 1;
    pid_t bystander = fork();
    if (bystander == 0) {  // another process of the user, outside the sandbox
        close(keep_alive[1]);
        char c;
        while (read(keep_alive[0], &c, 1) > 0) {
        }
        _exit(0);
    }
    close(keep_alive[0]);

    std::fflush(nullptr);
    pid_t child = fork();
    if (child == 0) {
        close(keep_alive[1]);
        int status = 1;
        try {
            status = confined(argv[1], root, bystander, abi);
        } catch (const vx::Error& e) {
            std::printf("FAIL the confined side could not start: %s\n", e.what());
        }
        std::fflush(nullptr);
        _exit(status);
    }
    int status = 0;
    waitpid(child, &status, 0);
    int failed = 0, passed = 0;
    auto expect = [&](bool ok, const char* what) {
        std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
        ok ? ++passed : ++failed;
    };
    expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "the confined side passed (its lines above)");
    expect(waitpid(bystander, nullptr, WNOHANG) == 0, "the bystander still runs");
    close(keep_alive[1]);
    int bystander_status = -1;
    waitpid(bystander, &bystander_status, 0);
    expect(WIFEXITED(bystander_status) && WEXITSTATUS(bystander_status) == 0, "the bystander ended on its own");
    if (abi == 0) {  // the file checks are Landlock's: counted as skipped above
        std::printf("harness: %d passed, %d failed; no Landlock here: files outside the grants not held\n", passed,
                    failed);
        return failed ? 1 : kSkip;
    }
    struct stat st;
    expect(stat((root + "/outside/secret").c_str(), &st) == 0 && (st.st_mode & 07777) == 0600 &&
               read_file(root + "/outside/secret") == std::vector<uint8_t>{'s', 'e', 'c', 'r', 'e', 't', '\n'},
           "the file outside the grants is as it was");
    expect(entries_of(root + "/outside") == std::vector<std::string>{"secret"}, "nothing was made beside it");
    expect(entries_of(root + "/granted").empty(), "nothing was moved or linked into the grant");
    expect(entries_of(root + "/tmpdir").empty(), "the private /tmp was removed by the confined process");
    std::printf("harness: %d passed, %d failed\n", passed, failed);
    std::string cleanup = "rm -rf '" + root + "'";
    if (std::system(cleanup.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", root.c_str());
    return failed ? 1 : 0;  // an older Landlock's skips are counted in the confined side's line
}
