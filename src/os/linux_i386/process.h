#pragma once
// The Linux i386 personality: turns a sandbox's events into what Linux would
// do for the process, within what the user granted. Engine-agnostic.
#include <poll.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "os/linux_i386/abi.h"
#include "os/linux_i386/address_space.h"
#include "os/linux_i386/descriptor_table.h"
#include "os/linux_i386/file_namespace.h"
#include "os/linux_i386/process_tree.h"
#include "os/linux_i386/run_outcome.h"
#include "os/linux_i386/scratch_directory.h"
#include "os/linux_i386/signal_state.h"
#include "os/linux_i386/thread_areas.h"
#include "os/linux_i386/tree_budgets.h"
#include "vx/sandbox.h"

namespace vx::os::linux_i386 {

struct ProcessOptions {
    std::vector<Mount> mounts;  // what the guest may see of the host's files
    std::string cwd = "/";
    std::string exe_path;      // what /proc/self/exe names for the guest
    // The host descriptors the guest's 0, 1 and 2 stand for (-1: closed for the
    // guest). The guest gets copies of its own; nothing else of the host's is
    // ever in its descriptor table. The default gives it none.
    std::array<int, 3> standard_fds = {-1, -1, -1};
    uint32_t stack_size = 8u << 20;  // what RLIMIT_STACK reports
    FILE* trace = nullptr;     // a line per syscall, when set
    // The program file the sandbox runs: what execve("/proc/self/exe") runs.
    std::vector<uint8_t> program;
    // The guest may treat the host process as its own: a guest fork forks the
    // host process, and the host's dispositions and mask of the signals guests
    // send each other follow the guest's. Only for a host process that does
    // nothing else (a tool that runs one guest); without it fork and clone
    // fail with EAGAIN.
    bool own_host_process = false;
    unsigned max_processes = 64;  // guest processes alive at once in the tree (EAGAIN beyond)
    unsigned max_open_files = 1024;  // descriptors at once (EMFILE beyond), at most DescriptorTable::kMaxDescriptors
    // Bytes the guest may write to descriptors in all, and the largest size a
    // write or truncate may give a file: beyond, the sandbox stops with
    // LimitExceeded (Limit::Output, Limit::FileSize). Unset: no limit.
    std::optional<uint64_t> max_output;
    std::optional<uint64_t> max_file_size;
    // A private, empty, writable /tmp for the guest (its own host directory,
    // removed with its contents when the process ends).
    bool private_tmp = false;
    // Put the host filter (host_filter.h) on the host process before the
    // guest's first instruction. For a host process that does nothing else.
    bool host_filter = false;
    // What the run says as it happens (run_outcome.h); nullptr: nothing.
    RunReporter* reporter = nullptr;
};

class LinuxProcess {
public:
    // Throws vx::Error for a mount or cwd that cannot be used, or for a
    // second process with own_host_process in one host process.
    LinuxProcess(Sandbox& sandbox, const ElfImage& image, ProcessOptions options);
    ~LinuxProcess();

    // Runs the guest to its end, and returns how it ended (its exit status,
    // the signal, fault or limit that ended it) and what it used; each
    // process of the tree that ends is also told to options.reporter. In a
    // process forked for a guest fork it never returns: the host process
    // ends as the guest did (its exit status, or the signal it died of), so
    // that the parent's wait sees that.
    RunOutcome run();

    // Confines the host process for good, as run() does first when
    // options.host_filter is set: the Landlock domain (landlock.h: the grants
    // with their modes, the private /tmp's removal, /proc's files for the
    // process table) and then the host filter (host_filter.h). What the
    // kernel's Landlock cannot hold is told once to options.reporter.
    void confine_host();
    // What confine_host applied ("" when it was not called).
    const std::string& host_confinement() const { return host_confinement_; }

    // System calls are counted by number below this (RunOutcome::syscalls).
    static constexpr uint32_t kSyscalls = 512;

    // The system calls, one member each (see syscall_table.cpp). Each returns
    // the value for eax: a result, or -errno.
    int32_t sys_exit(const SyscallArgs& a);
    int32_t sys_read(const SyscallArgs& a);
    int32_t sys_write(const SyscallArgs& a);
    int32_t sys_readv(const SyscallArgs& a);
    int32_t sys_writev(const SyscallArgs& a);
    int32_t sys_ioctl(const SyscallArgs& a);
    int32_t sys_statx(const SyscallArgs& a);
    int32_t sys_fstat64(const SyscallArgs& a);
    int32_t sys_readlink(const SyscallArgs& a);
    int32_t sys_open(const SyscallArgs& a);
    int32_t sys_openat(const SyscallArgs& a);
    int32_t sys_close(const SyscallArgs& a);
    int32_t sys_close_range(const SyscallArgs& a);
    int32_t sys_lseek(const SyscallArgs& a);
    int32_t sys_llseek(const SyscallArgs& a);
    int32_t sys_stat64(const SyscallArgs& a);
    int32_t sys_lstat64(const SyscallArgs& a);
    int32_t sys_fstatat64(const SyscallArgs& a);
    int32_t sys_getdents64(const SyscallArgs& a);
    int32_t sys_access(const SyscallArgs& a);
    int32_t sys_getcwd(const SyscallArgs& a);
    int32_t sys_chdir(const SyscallArgs& a);
    int32_t sys_dup(const SyscallArgs& a);
    int32_t sys_dup2(const SyscallArgs& a);
    int32_t sys_dup3(const SyscallArgs& a);
    int32_t sys_fcntl64(const SyscallArgs& a);
    int32_t sys_fcntl(const SyscallArgs& a);
    int32_t sys_flock(const SyscallArgs& a);
    int32_t sys_mkdir(const SyscallArgs& a);
    int32_t sys_rmdir(const SyscallArgs& a);
    int32_t sys_unlink(const SyscallArgs& a);
    int32_t sys_rename(const SyscallArgs& a);
    int32_t sys_brk(const SyscallArgs& a);
    int32_t sys_mmap2(const SyscallArgs& a);
    int32_t sys_old_mmap(const SyscallArgs& a);
    int32_t sys_munmap(const SyscallArgs& a);
    int32_t sys_mprotect(const SyscallArgs& a);
    int32_t sys_madvise(const SyscallArgs& a);
    int32_t sys_set_thread_area(const SyscallArgs& a);
    int32_t sys_get_thread_area(const SyscallArgs& a);
    int32_t sys_set_tid_address(const SyscallArgs& a);
    int32_t sys_getpid(const SyscallArgs& a);
    int32_t sys_getuid(const SyscallArgs& a);
    int32_t sys_uname(const SyscallArgs& a);
    int32_t sys_ugetrlimit(const SyscallArgs& a);
    int32_t sys_prlimit64(const SyscallArgs& a);
    int32_t sys_getrandom(const SyscallArgs& a);
    int32_t sys_clock_gettime(const SyscallArgs& a);
    int32_t sys_clock_gettime64(const SyscallArgs& a);
    int32_t sys_gettimeofday(const SyscallArgs& a);
    int32_t sys_time(const SyscallArgs& a);
    int32_t sys_rt_sigaction(const SyscallArgs& a);
    int32_t sys_rt_sigprocmask(const SyscallArgs& a);
    int32_t sys_kill(const SyscallArgs& a);
    int32_t sys_tgkill(const SyscallArgs& a);
    int32_t sys_rt_sigreturn(const SyscallArgs& a);
    int32_t sys_sigreturn(const SyscallArgs& a);
    int32_t sys_nanosleep(const SyscallArgs& a);
    int32_t sys_clock_nanosleep(const SyscallArgs& a);
    int32_t sys_clock_nanosleep64(const SyscallArgs& a);
    int32_t sys_sched_yield(const SyscallArgs& a);
    int32_t sys_pipe(const SyscallArgs& a);
    int32_t sys_pipe2(const SyscallArgs& a);
    int32_t sys_poll(const SyscallArgs& a);
    int32_t sys_fork(const SyscallArgs& a);
    int32_t sys_vfork(const SyscallArgs& a);
    int32_t sys_clone(const SyscallArgs& a);
    int32_t sys_execve(const SyscallArgs& a);
    int32_t sys_wait4(const SyscallArgs& a);
    int32_t sys_waitpid(const SyscallArgs& a);
    int32_t sys_getppid(const SyscallArgs& a);
    int32_t sys_getpgid(const SyscallArgs& a);
    int32_t sys_getpgrp(const SyscallArgs& a);
    int32_t sys_setpgid(const SyscallArgs& a);
    int32_t sys_setsid(const SyscallArgs& a);
    int32_t sys_rt_sigsuspend(const SyscallArgs& a);
    int32_t sys_pause(const SyscallArgs& a);
    int32_t sys_rt_sigpending(const SyscallArgs& a);
    int32_t sys_rt_sigtimedwait(const SyscallArgs& a);
    int32_t sys_rt_sigtimedwait64(const SyscallArgs& a);
    int32_t sys_faccessat(const SyscallArgs& a);
    int32_t sys_fchdir(const SyscallArgs& a);
    int32_t sys_mkdirat(const SyscallArgs& a);
    int32_t sys_unlinkat(const SyscallArgs& a);
    int32_t sys_renameat(const SyscallArgs& a);
    int32_t sys_renameat2(const SyscallArgs& a);
    int32_t sys_symlink(const SyscallArgs& a);
    int32_t sys_link(const SyscallArgs& a);
    int32_t sys_linkat(const SyscallArgs& a);
    int32_t sys_symlinkat(const SyscallArgs& a);
    int32_t sys_readlinkat(const SyscallArgs& a);
    int32_t sys_chmod(const SyscallArgs& a);
    int32_t sys_fchmod(const SyscallArgs& a);
    int32_t sys_fchmodat(const SyscallArgs& a);
    int32_t sys_umask(const SyscallArgs& a);
    int32_t sys_chown(const SyscallArgs& a);
    int32_t sys_fchown(const SyscallArgs& a);
    int32_t sys_fchownat(const SyscallArgs& a);
    int32_t sys_fadvise64(const SyscallArgs& a);
    int32_t sys_sendfile(const SyscallArgs& a);
    int32_t sys_sendfile64(const SyscallArgs& a);
    int32_t sys_utimensat(const SyscallArgs& a);
    int32_t sys_utimensat64(const SyscallArgs& a);
    int32_t sys_truncate(const SyscallArgs& a);
    int32_t sys_truncate64(const SyscallArgs& a);
    int32_t sys_ftruncate(const SyscallArgs& a);
    int32_t sys_ftruncate64(const SyscallArgs& a);
    int32_t sys_pread64(const SyscallArgs& a);
    int32_t sys_pwrite64(const SyscallArgs& a);
    int32_t sys_fsync(const SyscallArgs& a);
    int32_t sys_ppoll(const SyscallArgs& a);
    int32_t sys_ppoll64(const SyscallArgs& a);
    int32_t sys_select(const SyscallArgs& a);
    int32_t sys_pselect6(const SyscallArgs& a);
    int32_t sys_pselect6_64(const SyscallArgs& a);
    int32_t sys_mremap(const SyscallArgs& a);
    int32_t sys_set_id(const SyscallArgs& a);
    int32_t sys_getresuid(const SyscallArgs& a);
    int32_t sys_getgroups(const SyscallArgs& a);
    int32_t sys_sched_getaffinity(const SyscallArgs& a);
    int32_t sys_sched_setaffinity(const SyscallArgs& a);
    int32_t sys_prctl(const SyscallArgs& a);
    int32_t sys_getrusage(const SyscallArgs& a);
    int32_t sys_times(const SyscallArgs& a);
    int32_t sys_sysinfo(const SyscallArgs& a);
    int32_t sys_futex(const SyscallArgs& a);
    int32_t sys_futex64(const SyscallArgs& a);
    int32_t sys_sigaltstack(const SyscallArgs& a);
    int32_t sys_alarm(const SyscallArgs& a);
    int32_t sys_setitimer(const SyscallArgs& a);
    int32_t sys_getitimer(const SyscallArgs& a);
    int32_t sys_ok(const SyscallArgs& a);  // accepted, nothing to do

private:
    // Services the syscall in eax; the exit calls finish the sandbox.
    void service_syscall();
    // The host process ends as the guest did (see run()).
    [[noreturn]] void end_host_process(int status);
    // run()'s result, told to the reporter; or the end of a forked host process.
    RunOutcome finish_run(RunOutcome outcome);

    // Limits that hold for the whole tree (docs/resource-limits.md). CPU time
    // and fuel are given to each process in slices of what the tree has left;
    // when one runs out, continue_within_tree takes another (true) or makes
    // `limit` the tree's breach (false).
    bool continue_within_tree(LimitExceeded& limit);
    bool take_cpu_slice();  // false when the tree has none left
    bool draw_fuel();
    // What this process leaves to the tree when it forks or ends: its CPU
    // time said, its unspent fuel given back.
    void settle_with_tree();
    // What a fork leaves shared is counted once for the tree (ProcessTree):
    // pages in common (shared, or not writable: never duplicated) as long as
    // one process holds them; private writable pages left for copy-on-write
    // (GuestMemory::mark_copy_pending) until each process has written them.
    // Before a fork, the child (its pid reserved) shares all this process
    // shares, and what is new is recorded (unshare_with_child when the fork
    // fails). A process that ends or execs lets go of it.
    void hold_common_pages_with_child(int32_t child);
    void share_copies_with_child(int32_t child);
    void unshare_with_child(int32_t child);
    void release_common_holdings();
    // Memory the sandbox takes between calls (a run of pages a fork shared,
    // written): admitted for the whole tree, and said to it at once.
    bool admit_own_growth(uint64_t bytes);
    // A limit reached by this process or another ends the whole tree: the
    // first process ends the others, and its outcome names the breach; any
    // other process tells the first one and ends.
    // `own`: the limit this process reached, if it did.
    RunOutcome stop_for_breach(std::optional<LimitExceeded> own = std::nullopt);
    // RLIMIT_FSIZE on the host process holds writes to the file-size limit
    // (the kernel checks where each write lands as it writes); the host's own
    // writes are let past it (FileSizeLimitLifted).
    void limit_host_file_size();
    void end_host_file_size_limit();  // the guest writes no more: the host's own messages follow
    friend class FileSizeLimitLifted;
    // A write to `host` that the kernel cut short or refused (EFBIG) at the
    // file-size limit is the file-size limit reached.
    void check_file_size_after(int host, ssize_t written, uint64_t requested);

    // Takes up a freshly loaded program image: memory bookkeeping and TLS.
    void give_standard_fds();
    void start_image(const ElfImage& image);
    // A guest fork: 0 in the child, the child's pid in the parent, or -errno.
    int32_t fork_process(uint32_t flags, uint32_t child_stack, uint32_t parent_tid, uint32_t child_tid);
    // wait4 and waitpid (no resource use): the child's pid, 0, or -errno.
    int32_t wait_for_child(int32_t pid, uint32_t status_out, uint32_t options, uint32_t rusage_out);
    // The file execve would run for guest `path`, interpreter lines followed;
    // `argv` gets the interpreter prepended. 0 or -errno.
    int32_t find_executable(const std::string& path, std::vector<std::string>& argv,
                            std::vector<uint8_t>& file, std::string& exe_path, int depth) const;
    // A NULL-terminated guest array of strings (argv, envp); 0 or -errno.
    int32_t read_string_array(uint32_t address, std::vector<std::string>& out, size_t& total) const;
    // Loads `selector` into %fs or %gs as the kernel does for itself
    // (set_thread_area, sigreturn): one the CPU refuses leaves the null
    // selector there, as the kernel's fixup does.
    void load_segment_or_null(SegmentRegister segment, uint16_t selector);

    // Whether [addr, addr+length) meets the stack's grow-down region, where
    // only MAP_FIXED places a mapping.
    bool in_stack_region(uint32_t addr, uint64_t length) const;

    // A NUL-terminated guest string of at most PATH_MAX bytes; -EFAULT/-ENAMETOOLONG.
    int32_t read_path(uint32_t address, std::string& out) const;
    // Where guest `path` starts from: the cwd, or guest directory descriptor
    // dirfd (one the namespace opened); 0 or -errno.
    int32_t origin(uint32_t dirfd, const std::string& path, At& at) const;
    // Opens guest `path` relative to guest dirfd: a host fd (and its place in
    // `opened`), or -errno.
    int32_t open_at(uint32_t dirfd, const std::string& path, int flags, int mode, Place* opened = nullptr) const;
    // Looks guest `path` up relative to guest dirfd (FileNamespace::lookup).
    int32_t lookup_at(uint32_t dirfd, const std::string& path, bool follow, Entry& found) const;
    int32_t stat_path(uint32_t dirfd, uint32_t path, uint32_t out, bool follow);
    int32_t stat_descriptor(uint32_t fd, uint32_t out);  // fstat64, and fstatat64 with AT_EMPTY_PATH
    // getdents64 on a synthetic directory (FileNamespace::synthetic_entries).
    int32_t synthetic_dents(int host, const Place& place, uint32_t address, uint32_t length);
    // The directory that holds guest `path` (at dirfd), to make, remove or
    // rename `name` in: 0 or -errno (FileNamespace::lookup_parent).
    int32_t lookup_parent_at(uint32_t dirfd, uint32_t path, Entry& parent, std::string& name, bool& dir_only) const;
    int32_t lookup_parent_at(uint32_t dirfd, const std::string& path, Entry& parent, std::string& name,
                             bool& dir_only) const;
    // A file to change the mode or times of: -EROFS in a read-only grant.
    int32_t open_to_change(uint32_t dirfd, const std::string& path, bool follow) const;
    int32_t check_changeable(const Place& place) const;
    int32_t check_changeable_fd(uint32_t fd) const;
    int32_t set_times(uint32_t dirfd, uint32_t path, const struct timespec* times, uint32_t flags);
    // poll on guest descriptors (their numbers are kept in `fds`); n or -errno.
    int32_t poll_guest_fds(std::vector<struct pollfd>& fds, int timeout_ms);
    int32_t poll_with(uint32_t address, uint32_t count, int timeout_ms);
    int32_t select_with(uint32_t nfds, uint32_t read_set, uint32_t write_set, uint32_t except_set, int timeout_ms);
    // The output and file-size limits (ProcessOptions::max_output,
    // max_file_size): 0 when writing `count` bytes to `host` at `offset` (-1:
    // at its file position) keeps within them. Otherwise the sandbox is
    // stopped (Sandbox::exceed; the guest never runs again) and the result is
    // -errno: nothing must be written.
    // (check_file_size false: the kernel holds the file size, see
    // limit_host_file_size.)
    int32_t admit_write(int host, uint64_t count, int64_t offset, bool check_file_size = true);
    // A write's result; of the `admitted` bytes admit_write counted as
    // output, those not written are given back. (errno is kept.)
    int32_t count_output(int host, ssize_t written, uint64_t admitted);
    int32_t send_file(const SyscallArgs& a, bool wide_offset);  // sendfile, sendfile64
    // The calls that differ in their arguments only: open and openat,
    // ftruncate and ftruncate64, pipe and pipe2.
    int32_t open_file(uint32_t dirfd, uint32_t path_address, uint32_t flags, uint32_t mode);
    int32_t truncate_descriptor(uint32_t fd, int64_t length);
    int32_t make_pipe(uint32_t ends_address, uint32_t flags);
    // Likewise for paths: a call and its *at form (and the forms with flags),
    // truncate and truncate64, chown32, lchown32 and fchownat.
    int32_t check_access(uint32_t dirfd, uint32_t path_address, uint32_t mode, uint32_t flags);
    int32_t make_directory(uint32_t dirfd, uint32_t path_address, uint32_t mode);
    int32_t remove_entry(uint32_t dirfd, uint32_t path_address, uint32_t flags);
    int32_t rename_entry(uint32_t old_dirfd, uint32_t old_path, uint32_t new_dirfd, uint32_t new_path,
                         uint32_t flags);
    int32_t link_entry(uint32_t old_dirfd, uint32_t old_path_address, uint32_t new_dirfd,
                       uint32_t new_path_address, uint32_t flags);
    int32_t make_symlink(uint32_t target_address, uint32_t dirfd, uint32_t path_address);
    int32_t read_link_at(uint32_t dirfd, uint32_t path_address, uint32_t buffer_address, uint32_t size);
    int32_t change_mode(uint32_t dirfd, uint32_t path_address, uint32_t mode);
    int32_t change_owner(uint32_t dirfd, uint32_t path_address, uint32_t uid, uint32_t gid, uint32_t flags);
    int32_t change_descriptor_owner(uint32_t fd, uint32_t uid, uint32_t gid);
    int32_t truncate_path(uint32_t path_address, int64_t length);
    // 0 when a file may become `size` bytes long; else the sandbox is stopped, -EFBIG.
    int32_t admit_file_size(uint64_t size);
    // Bytes of guest pages in [addr, addr+length) not mapped yet: what mapping
    // that range adds to the memory the limit counts.
    uint64_t unmapped_bytes(uint32_t addr, uint64_t length) const;
    // Sandbox::admit_memory for the whole tree: `bytes` more, beside what
    // this process and the tree's others cost, within the memory limit;
    // otherwise the sandbox is stopped.
    bool admit_memory(uint64_t bytes);
    // A file's bytes copied into freshly mapped guest pages (mmap of a file).
    int32_t read_file_into(int file, uint64_t offset, uint32_t at, uint32_t length);
    int32_t futex(const SyscallArgs& a, bool time64);
    int32_t sleep_for(clockid_t clock, int flags, int64_t sec, int64_t nsec);
    // A host system call that may block for long, made so that a stop of the
    // sandbox (interrupt(), a time limit) ends it (Sandbox::blocking_host_call):
    // as the libc call, -1 and errno. Ended by a stop, it says so in
    // stopped_in_host_call_, and service_syscall has the guest make its call
    // again once run() has reported the stop.
    template <typename... Args>
    long blocking(long number, Args... args) const {
        auto as_long = [](auto v) {
            if constexpr (std::is_pointer_v<decltype(v)>) return reinterpret_cast<long>(v);
            else return long(v);
        };
        return blocking_call(number, {as_long(args)...});
    }
    long blocking_call(long number, std::array<long, 6> args) const;
    mutable bool stopped_in_host_call_ = false;
    // fcntl's record locks on `host`, the guest's struct at `address`.
    int32_t record_lock(int host, uint32_t command, uint32_t address, bool wide);
    bool on_alternate_stack(uint32_t sp) const;
    // A guest lseek offset on `d` as the host's (directory cookies mapped back).
    static int64_t host_offset(Descriptor& d, int64_t guest_offset, int whence);

    Sandbox& sandbox_;
    GuestMemory& memory_;
    std::vector<uint64_t> syscall_counts_ = std::vector<uint64_t>(kSyscalls);
    ProcessOptions options_;
    std::vector<int32_t> common_holdings_;  // ProcessTree::hold_in_common ids
    FileNamespace files_;
    // Every host descriptor here was made for the guest (the standard ones
    // are copies), and is closed with it.
    DescriptorTable descriptors_;
    // The pages the process mapped, the break and where mmap places mappings
    // (address_space.h); the pages the stack grew to are the memory's.
    AddressSpace space_{[this](uint32_t addr) { return memory_.mapped(addr); }};
    uint32_t umask_ = 022;
    char process_name_[16] = {};
    StackT32 alternate_stack_{};  // size 0: none
    // set_thread_area's entries as get_thread_area reads them back
    // (thread_areas.h); their bases are the sandbox's descriptors.
    ThreadAreas thread_areas_;
    std::unique_ptr<ProcessTree> tree_;  // shared with every process forked from this one
    std::unique_ptr<ScratchDirectory> private_tmp_;  // removed by the first process only
    bool forked_ = false;                // this host process was forked for a guest fork
    TreeBudgets budgets_;  // the tree's CPU time and fuel, and this process's slices of them
    std::optional<struct rlimit> host_file_size_;  // RLIMIT_FSIZE as the host process had it, while the limit is set
    std::string host_confinement_;       // see confine_host

    // Signals (signal_state.h): sent by the process itself, or by other
    // guest processes and caught by the host; they are delivered when the
    // guest next stops for its host (a syscall, an interruption) and they are
    // not blocked.
    SignalState signals_;
    int killed_by_ = 0;
    // The host's signal handlers serve one LinuxProcess per host process
    // (signal_calls.cpp says why): the one made with own_host_process holds
    // this claim; making a second such process throws vx::Error.
    class HostSignalClaim {
    public:
        // Held: a signal the host catches for the guest also stops
        // `sandbox` where it runs, so that it is delivered at once, not at
        // the guest's next system call.
        HostSignalClaim(bool claim, Sandbox& sandbox);
        ~HostSignalClaim();
        // While the guest's system call is served, a caught signal does not
        // stop the guest: the call ends (EINTR when it blocked) and the
        // signal is delivered after it, as Linux does. A stop then would
        // make the call restart after the handler instead.
        class ServingCall {
        public:
            explicit ServingCall(const HostSignalClaim& claim);
            ~ServingCall();
            ServingCall(const ServingCall&) = delete;
            ServingCall& operator=(const ServingCall&) = delete;

        private:
            bool held_;
        };
        HostSignalClaim(const HostSignalClaim&) = delete;
        HostSignalClaim& operator=(const HostSignalClaim&) = delete;

    private:
        bool held_ = false;
    };
    HostSignalClaim host_signals_;
    uint64_t caught_not_taken() const;  // what the host caught for this process, not yet pending

    void forget_pending_signals();  // in a forked child
    // Delivers what is pending and not blocked; `interrupted_nr` is the
    // syscall that just failed with EINTR (restarted when the handler has
    // SA_RESTART), or -1.
    void deliver_pending_signals(int32_t interrupted_nr);
    // sigsuspend: waits with mask `during` for a signal the guest handles; -EINTR.
    int32_t suspend_until_signal(uint64_t during);
    // rt_sigtimedwait: a signal of the set taken without its handler.
    int32_t wait_for_signal(const SyscallArgs& a, bool time64);
    // What the host caught for the guest, made pending.
    void take_caught_signals();
    // The host's disposition and mask of the signals guests send each other
    // follow the guest's (own_host_process only).
    void mirror_disposition(int signo);
    void mirror_mask();
    // kill, tkill and tgkill: `signo` to `pid` as kill(2) reads it, or (to
    // one thread) to that process only. 0 or -errno.
    int32_t send_signal(int32_t pid, uint32_t signo, bool to_one_thread);
    // Signals to other members of the tree: to `pid` or, as kill(2) reads 0
    // and negative pids, to groups. 0 or -errno.
    int32_t signal_others(int32_t pid, int signo);
    // Builds an i386 rt signal frame on the guest stack and enters the
    // handler; false when it cannot (no restorer, no room on the stack).
    // (`sender`: the guest pid a signal from a process names, or 0.)
    bool deliver_signal(int signo, int code, int32_t sender, uint32_t fault_address);
    // The floating-point and vector state in a frame below `sp`: its address, 0
    // when it does not fit; and taking it back (false: a frame it cannot be).
    uint32_t push_fpstate(uint32_t sp);
    bool restore_fpstate(uint32_t fpstate);
    // The interrupted state, as a frame records it; and restoring it.
    SigContext32 save_context(uint32_t fault_address) const;
    void restore_context(const SigContext32& c, uint64_t mask);
    // A fault the guest may handle: true if its handler now runs.
    bool deliver_fault(const Fault& fault);
    // Ends the process as Linux would for `signo` with the default action.
    int32_t die_of_signal(int signo);
};

// The host's own writes (the code cache's file at a fork, the trace file) are
// not the guest's: the host's RLIMIT_FSIZE is lifted around them.
class FileSizeLimitLifted {
public:
    explicit FileSizeLimitLifted(LinuxProcess& process) : process_(process) {
        if (process_.host_file_size_) setrlimit(RLIMIT_FSIZE, &*process_.host_file_size_);
    }
    ~FileSizeLimitLifted() {
        if (process_.host_file_size_) process_.limit_host_file_size();
    }
    FileSizeLimitLifted(const FileSizeLimitLifted&) = delete;
    FileSizeLimitLifted& operator=(const FileSizeLimitLifted&) = delete;

private:
    LinuxProcess& process_;
};

}  // namespace vx::os::linux_i386
