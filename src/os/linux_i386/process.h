#pragma once
// The Linux i386 personality: turns a sandbox's events into what Linux would
// do for the process, within what the user granted. Engine-agnostic.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "os/linux_i386/abi.h"
#include "os/linux_i386/file_namespace.h"
#include "vx/sandbox.h"

namespace vx::os::linux_i386 {

struct ProcessOptions {
    std::vector<Mount> mounts;  // what the guest may see of the host's files
    std::string cwd = "/";
    std::string exe_path;      // what /proc/self/exe names for the guest
    uint32_t stack_size = 8u << 20;  // what RLIMIT_STACK reports
    FILE* trace = nullptr;     // a line per syscall, when set
};

class LinuxProcess {
public:
    // Throws vx::Error for a mount or cwd that cannot be used.
    LinuxProcess(Sandbox& sandbox, const ElfImage& image, ProcessOptions options);
    ~LinuxProcess();

    // Runs the guest to its end. Returns vxrun's exit status: the guest's own
    // on exit, 128+N when it dies of a fault Linux reports as signal N (with a
    // one-line diagnosis on `diagnostics`).
    int run(FILE* diagnostics);

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
    int32_t sys_fcntl64(const SyscallArgs& a);
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
    int32_t sys_ok(const SyscallArgs& a);  // accepted, nothing to do

private:
    // Services the syscall in eax; the exit calls finish the sandbox.
    void service_syscall();
    // A guest mov to %fs/%gs: a TLS selector from set_thread_area, or a fault.
    bool load_segment(const SegmentLoad& load);

    // Guest pages the process has mapped (image, stack, brk, mmap), one flag a
    // page: a PROT_NONE mapping still holds its addresses.
    bool range_reserved(uint32_t addr, uint32_t length, bool all) const;
    void reserve(uint32_t addr, uint32_t length, bool reserved);
    uint32_t find_free_range(uint32_t length) const;  // 0: none

    // Descriptors: guest fd -> host fd (-1: free). 0-2 are the host's own.
    static constexpr int kMaxFds = 1024;
    int host_fd(uint32_t guest_fd) const;
    int32_t install_fd(int host, uint32_t lowest = 0);  // the guest fd, or -EMFILE (host closed)
    int32_t duplicate_fd(uint32_t guest_fd, uint32_t lowest);
    // A NUL-terminated guest string of at most PATH_MAX bytes; -EFAULT/-ENAMETOOLONG.
    int32_t read_path(uint32_t address, std::string& out) const;
    // Guest `path` relative to guest dirfd (AT_FDCWD or one from openat), made
    // absolute and normalized; 0 or -errno.
    int32_t guest_path_at(uint32_t dirfd, const std::string& path, std::string& guest) const;
    // Opens guest `path` relative to guest dirfd (AT_FDCWD or one from openat).
    int32_t open_at(uint32_t dirfd, const std::string& path, int flags, int mode) const;
    int32_t stat_path(uint32_t dirfd, uint32_t path, uint32_t out, bool follow);
    int32_t remove_entry(uint32_t path, bool directory);
    // A guest lseek offset on `host` as the host's (directory cookies mapped back).
    int64_t host_offset(int host, int64_t guest_offset, int whence);

    Sandbox& sandbox_;
    GuestMemory& memory_;
    ProcessOptions options_;
    std::vector<bool> reserved_;
    FileNamespace files_;
    std::vector<int> fds_;
    std::vector<std::string> fd_paths_;  // guest path an fd was opened as, for openat
    std::map<int, std::vector<int64_t>> dir_cookies_;  // host dir fd -> host offsets, by cookie-1
    uint32_t brk_start_ = 0, brk_ = 0;
    uint32_t mmap_top_ = 0;  // mmap allocates downwards from here
    uint32_t tls_base_[kTlsEntries] = {};
    bool tls_used_[kTlsEntries] = {};
    // Signals: dispositions as the guest set them, and a signal it sent itself
    // that ends it (delivery to guest handlers is not implemented yet).
    KernelSigaction32 signal_actions_[kSignals] = {};
    uint64_t signal_mask_ = 0;
    int killed_by_ = 0;
    int pending_signal_ = 0;  // sent by the guest to itself, delivered after the call returns
    int pending_code_ = 0;

    enum class Disposition { Ignore, Terminate, Handle };
    Disposition disposition(int signo) const;
    // Builds an i386 rt signal frame on the guest stack and enters the
    // handler; false when it cannot (no restorer, no room on the stack).
    bool deliver_signal(int signo, int code, uint32_t fault_address);
    // The interrupted state, as a frame records it; and restoring it.
    SigContext32 save_context(uint32_t fault_address) const;
    void restore_context(const SigContext32& c, uint64_t mask);
    // A fault the guest may handle: true if its handler now runs.
    bool deliver_fault(const Fault& fault);
    // Ends the process as Linux would for `signo` with the default action.
    int32_t die_of_signal(int signo);
};

}  // namespace vx::os::linux_i386
