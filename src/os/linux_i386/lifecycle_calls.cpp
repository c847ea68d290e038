// Processes: fork (a host fork of the whole host process, see process_tree.h),
// execve of a program inside the granted namespace, wait, process groups.
#include <elf.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstring>
#include <utility>
#include <vector>

#include "os/linux_i386/initial_stack.h"
#include "os/linux_i386/process.h"
#include "vx/error.h"

namespace vx::os::linux_i386 {
namespace {

// What a guest fork may ask of clone: a copy of the process, never a thread.
constexpr uint32_t kCloneForkFlags = CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |
                                     CLONE_CHILD_SETTID | CSIGNAL;

constexpr size_t kMaxArgumentBytes = 2u << 20;    // argv and envp together
constexpr size_t kMaxArgumentString = 128u << 10;  // one of them, as Linux's MAX_ARG_STRLEN
constexpr int kMaxInterpreterDepth = 4;            // #! lines followed, as Linux does
constexpr size_t kInterpreterLine = 256;
constexpr uint32_t kWaitOptions = WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD;

// "#!INTERPRETER [ARG]" at the start of `file`; false when it is none.
bool parse_interpreter_line(const std::vector<uint8_t>& file, std::string& interpreter, std::string& arg) {
    if (file.size() < 2 || file[0] != '#' || file[1] != '!') return false;
    std::string line;
    for (size_t i = 2; i < file.size() && i < kInterpreterLine && file[i] != '\n'; ++i) line.push_back(char(file[i]));
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    size_t start = 0;
    while (start < line.size() && blank(line[start])) ++start;
    size_t end = start;
    while (end < line.size() && !blank(line[end])) ++end;
    interpreter = line.substr(start, end - start);
    while (end < line.size() && blank(line[end])) ++end;
    arg = line.substr(end);
    while (!arg.empty() && blank(arg.back())) arg.pop_back();
    return true;
}

}  // namespace

int32_t LinuxProcess::fork_process(uint32_t flags, uint32_t child_stack, uint32_t parent_tid, uint32_t child_tid) {
    if (!options_.own_host_process) return fail(EAGAIN);
    if (flags & ~kCloneForkFlags) return fail(EINVAL);  // threads and namespaces: not for guests
    if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) return fail(EINVAL);  // a thread
    if ((flags & CLONE_PARENT_SETTID) && !memory_.accessible(parent_tid, 4, kWrite)) return fail(EFAULT);
    int32_t child = tree_->reserve_child();
    if (child < 0) return child;
    // What the two share is counted once for the tree: pages neither can
    // write without a call, or mapped shared, for as long as one holds them;
    // private writable pages until each has written them (a run at a time,
    // charged at its first write). The child is charged now what is its own:
    // the engine's copies (its code cache), and what could not be tracked.
    hold_common_pages_with_child(child);
    share_copies_with_child(child);
    auto give_back = [&] {
        unshare_with_child(child);
        tree_->release(child);
    };
    const uint64_t duplicated = sandbox_.memory_in_use();
    if (!admit_memory(duplicated)) {
        give_back();
        return fail(ENOMEM);
    }
    tree_->charge(child, duplicated);
    if (flags & CLONE_PARENT_SETTID) memory_.write(parent_tid, &child, sizeof child);

    std::fflush(nullptr);  // nothing buffered is written twice
    settle_with_tree();    // no fuel is copied into the child: the parent's goes back to the tree first
    const pid_t parent_host = getpid();
    pid_t host;
    {
        FileSizeLimitLifted lifted(*this);  // the engine copies its code cache to a new file
        host = sandbox_.fork_host_process();
    }
    if (host < 0) {
        int error = errno;
        give_back();
        return fail(error == ENOMEM ? ENOMEM : EAGAIN);
    }
    if (host > 0) {
        tree_->started(child, host);
        take_cpu_slice();
        return child;
    }
    // The child: a guest process never outlives its parent, so none is left
    // running unsupervised when the first host process ends.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent_host) _exit(128 + SIGKILL);
    const struct rlimit no_core_dumps{0, 0};
    setrlimit(RLIMIT_CORE, &no_core_dumps);
    tree_->become(child);
    forked_ = true;
    budgets_.inherit_cpu(sandbox_.usage().cpu_time_ns);  // the parent's, until the fork
    take_cpu_slice();
    forget_pending_signals();  // as on Linux, the child starts with none
    Registers& r = sandbox_.registers();
    if (child_stack) r.esp = child_stack;
    if (flags & CLONE_CHILD_SETTID) memory_.write(child_tid, &child, sizeof child);
    return 0;
}

int32_t LinuxProcess::sys_fork(const SyscallArgs&) { return fork_process(0, 0, 0, 0); }
int32_t LinuxProcess::sys_vfork(const SyscallArgs&) { return fork_process(CLONE_VM | CLONE_VFORK, 0, 0, 0); }

int32_t LinuxProcess::sys_clone(const SyscallArgs& a) {  // its fourth argument, the TLS, is for threads only
    const uint32_t flags = a.a[0], child_stack = a.a[1], parent_tid = a.a[2], child_tid = a.a[4];
    return fork_process(flags, child_stack, parent_tid, child_tid);
}

int32_t LinuxProcess::read_string_array(uint32_t address, std::vector<std::string>& out, size_t& total) const {
    if (address == 0) return 0;  // Linux takes a null argv or envp as empty
    for (uint32_t i = 0;; ++i) {
        uint32_t pointer;
        if (!memory_.read(address + 4 * i, &pointer, sizeof pointer)) return fail(EFAULT);
        if (pointer == 0) return 0;
        std::string s;
        for (;; ++pointer) {
            char c;
            if (!memory_.read(pointer, &c, 1)) return fail(EFAULT);
            if (c == '\0') break;
            if (s.size() >= kMaxArgumentString) return fail(E2BIG);
            s.push_back(c);
        }
        total += s.size() + 1 + 4;
        if (total > kMaxArgumentBytes) return fail(E2BIG);
        out.push_back(std::move(s));
    }
}

int32_t LinuxProcess::find_executable(const std::string& path, std::vector<std::string>& argv,
                                      std::vector<uint8_t>& file, std::string& exe_path, int depth) const {
    if (path.empty()) return fail(ENOENT);
    if (path == "/proc/self/exe") {
        file = options_.program;
        exe_path = options_.exe_path;
        return 0;
    }
    int host = open_at(uint32_t(AT_FDCWD), path, O_RDONLY, 0);
    if (host < 0) return host;
    struct stat st;
    int32_t result = 0;
    if (fstat(host, &st) != 0) result = fail(errno);
    else if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) result = fail(EACCES);
    else if (uint64_t(st.st_size) > memory_.size()) result = fail(ENOMEM);
    if (result == 0) {
        file.resize(size_t(st.st_size));
        size_t done = 0;
        constexpr size_t kChunk = 1u << 20;  // a stop is looked for between chunks
        while (done < file.size()) {
            if (sandbox_.stop_pending()) {
                stopped_in_host_call_ = true;
                result = fail(EINTR);
                break;
            }
            ssize_t n = pread(host, file.data() + done, std::min(kChunk, file.size() - done), off_t(done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                result = fail(n < 0 ? errno : EIO);
                break;
            }
            done += size_t(n);
        }
    }
    ::close(host);
    if (result < 0) return result;

    std::string interpreter, arg;
    if (parse_interpreter_line(file, interpreter, arg)) {
        if (depth >= kMaxInterpreterDepth) return fail(ELOOP);
        if (interpreter.empty()) return fail(ENOEXEC);
        // As Linux: INTERPRETER [ARG] PATH ARGS..., the script's argv[0] dropped.
        std::vector<std::string> script_argv{interpreter};
        if (!arg.empty()) script_argv.push_back(arg);
        script_argv.push_back(path);
        script_argv.insert(script_argv.end(), argv.begin() + (argv.empty() ? 0 : 1), argv.end());
        argv = std::move(script_argv);
        return find_executable(interpreter, argv, file, exe_path, depth + 1);
    }
    try {
        check_program(sandbox_, file, options_.stack_size);
    } catch (const ElfError&) {
        return fail(ENOEXEC);
    }
    exe_path = files_.normalize(path);
    return 0;
}

int32_t LinuxProcess::sys_execve(const SyscallArgs& a) {
    const uint32_t path_address = a.a[0], argv_address = a.a[1], envp_address = a.a[2];
    std::string path;
    if (int32_t error = read_path(path_address, path)) return error;
    std::vector<std::string> argv, envp;
    size_t total = 0;
    if (int32_t error = read_string_array(argv_address, argv, total)) return error;
    if (int32_t error = read_string_array(envp_address, envp, total)) return error;
    std::vector<uint8_t> file;
    std::string exe_path;
    if (int32_t error = find_executable(path, argv, file, exe_path, 0)) return error;
    // The new image and stack take the place of every page mapped now: only
    // what they need beyond those is new memory (the stack's growth is
    // admitted as it grows).
    const uint64_t needed = elf_image_bytes(file) + initial_stack_bytes(argv, envp, options_.stack_size),
                   mapped = memory_.own_bytes();
    if (needed > mapped && !admit_memory(needed - mapped)) return fail(ENOMEM);

    // No way back from here: the old program is gone.
    descriptors_.close_on_exec();
    const uint64_t reset = signals_.reset_for_exec();  // handlers are gone; ignored stays ignored
    for (int signo = 1; signo < int(kSignals); ++signo)
        if (reset & SignalState::bit(signo)) mirror_disposition(signo);
    try {
        start_image(load_program(sandbox_, file, argv, envp, options_.stack_size));
        release_common_holdings();  // the old image's pages are gone
    } catch (const Error&) {
        return die_of_signal(SIGSEGV);  // as Linux does when the new image cannot be set up
    }
    options_.program = std::move(file);
    options_.exe_path = exe_path;
    return 0;
}

int32_t LinuxProcess::sys_wait4(const SyscallArgs& a) {
    const int32_t pid = int32_t(a.a[0]);
    const uint32_t status_out = a.a[1], options = a.a[2], rusage_out = a.a[3];
    return wait_for_child(pid, status_out, options, rusage_out);
}

int32_t LinuxProcess::sys_waitpid(const SyscallArgs& a) {
    const int32_t pid = int32_t(a.a[0]);
    const uint32_t status_out = a.a[1], options = a.a[2];
    return wait_for_child(pid, status_out, options, 0);
}

int32_t LinuxProcess::wait_for_child(int32_t pid, uint32_t status_out, uint32_t options, uint32_t rusage_out) {
    if (options & ~kWaitOptions) return fail(EINVAL);
    if ((status_out && !memory_.accessible(status_out, 4, kWrite)) ||
        (rusage_out && !memory_.accessible(rusage_out, sizeof(Rusage32), kWrite)))
        return fail(EFAULT);
    pid_t host = -1;  // any child; process groups are not told apart
    if (pid > 0) {
        host = tree_->parent_of(pid) == tree_->self() ? tree_->host_pid(pid) : 0;
        if (host <= 0) return fail(ECHILD);
    }
    int status = 0;
    struct rusage usage{};
    pid_t done = pid_t(blocking(SYS_wait4, host, &status, options & (WNOHANG | WUNTRACED | WCONTINUED), &usage));
    if (done < 0) return fail(errno);
    if (done == 0) return 0;  // WNOHANG, nothing yet
    int32_t child = tree_->guest_pid(done);
    if (WIFEXITED(status) || WIFSIGNALED(status)) tree_->release(child);
    if (status_out) memory_.write(status_out, &status, sizeof status);  // the same encoding for i386
    if (rusage_out) {
        Rusage32 r = to_rusage32(usage);
        memory_.write(rusage_out, &r, sizeof r);
    }
    return child;
}

int32_t LinuxProcess::sys_getpgid(const SyscallArgs& a) {
    const int32_t pid = int32_t(a.a[0]);
    int32_t group = tree_->group_of(pid == 0 ? tree_->self() : pid);
    return group ? group : fail(ESRCH);
}

int32_t LinuxProcess::sys_getpgrp(const SyscallArgs&) { return tree_->group_of(tree_->self()); }

int32_t LinuxProcess::sys_setpgid(const SyscallArgs& a) {
    const int32_t pid = int32_t(a.a[0]), group = int32_t(a.a[1]);
    return tree_->set_group(pid, group);
}

int32_t LinuxProcess::sys_setsid(const SyscallArgs&) {
    const int32_t self = tree_->self();
    if (tree_->group_of(self) == self) return fail(EPERM);  // a group leader cannot
    tree_->set_group(self, self);
    return self;
}

}  // namespace vx::os::linux_i386
