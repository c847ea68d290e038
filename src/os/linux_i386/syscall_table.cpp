// The i386 system calls this personality implements, one line each.
#include "os/linux_i386/syscall_table.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace vx::os::linux_i386 {
namespace {

using P = LinuxProcess;

constexpr SyscallEntry kTable[] = {
    {1, "exit", &P::sys_exit},
    {2, "fork", &P::sys_fork},
    {3, "read", &P::sys_read},
    {4, "write", &P::sys_write},
    {5, "open", &P::sys_open},
    {6, "close", &P::sys_close},
    {7, "waitpid", &P::sys_waitpid},
    {10, "unlink", &P::sys_unlink},
    {11, "execve", &P::sys_execve},
    {12, "chdir", &P::sys_chdir},
    {13, "time", &P::sys_time},
    {15, "chmod", &P::sys_chmod},
    {19, "lseek", &P::sys_lseek},
    {20, "getpid", &P::sys_getpid},
    {23, "setuid", &P::sys_set_id},
    {24, "getuid", &P::sys_getuid},
    {27, "alarm", &P::sys_alarm},
    {29, "pause", &P::sys_pause},
    {33, "access", &P::sys_access},
    {37, "kill", &P::sys_kill},
    {38, "rename", &P::sys_rename},
    {39, "mkdir", &P::sys_mkdir},
    {40, "rmdir", &P::sys_rmdir},
    {41, "dup", &P::sys_dup},
    {42, "pipe", &P::sys_pipe},
    {43, "times", &P::sys_times},
    {45, "brk", &P::sys_brk},
    {46, "setgid", &P::sys_set_id},
    {47, "getgid", &P::sys_getuid},
    {49, "geteuid", &P::sys_getuid},
    {50, "getegid", &P::sys_getuid},
    {54, "ioctl", &P::sys_ioctl},
    {57, "setpgid", &P::sys_setpgid},
    {60, "umask", &P::sys_umask},
    {63, "dup2", &P::sys_dup2},
    {64, "getppid", &P::sys_getppid},
    {65, "getpgrp", &P::sys_getpgrp},
    {66, "setsid", &P::sys_setsid},
    {77, "getrusage", &P::sys_getrusage},
    {78, "gettimeofday", &P::sys_gettimeofday},
    {83, "symlink", &P::sys_symlink},
    {85, "readlink", &P::sys_readlink},
    {90, "mmap", &P::sys_old_mmap},
    {91, "munmap", &P::sys_munmap},
    {92, "truncate", &P::sys_truncate},
    {93, "ftruncate", &P::sys_ftruncate},
    {94, "fchmod", &P::sys_fchmod},
    {104, "setitimer", &P::sys_setitimer},
    {105, "getitimer", &P::sys_getitimer},
    {114, "wait4", &P::sys_wait4},
    {116, "sysinfo", &P::sys_sysinfo},
    {118, "fsync", &P::sys_fsync},
    {119, "sigreturn", &P::sys_sigreturn},
    {120, "clone", &P::sys_clone},
    {122, "uname", &P::sys_uname},
    {125, "mprotect", &P::sys_mprotect},
    {132, "getpgid", &P::sys_getpgid},
    {133, "fchdir", &P::sys_fchdir},
    {140, "_llseek", &P::sys_llseek},
    {142, "_newselect", &P::sys_select},
    {145, "readv", &P::sys_readv},
    {146, "writev", &P::sys_writev},
    {148, "fdatasync", &P::sys_fsync},
    {158, "sched_yield", &P::sys_sched_yield},
    {162, "nanosleep", &P::sys_nanosleep},
    {163, "mremap", &P::sys_mremap},
    {168, "poll", &P::sys_poll},
    {172, "prctl", &P::sys_prctl},
    {173, "rt_sigreturn", &P::sys_rt_sigreturn},
    {174, "rt_sigaction", &P::sys_rt_sigaction},
    {175, "rt_sigprocmask", &P::sys_rt_sigprocmask},
    {176, "rt_sigpending", &P::sys_rt_sigpending},
    {179, "rt_sigsuspend", &P::sys_rt_sigsuspend},
    {180, "pread64", &P::sys_pread64},
    {181, "pwrite64", &P::sys_pwrite64},
    {183, "getcwd", &P::sys_getcwd},
    {186, "sigaltstack", &P::sys_sigaltstack},
    {190, "vfork", &P::sys_vfork},
    {191, "ugetrlimit", &P::sys_ugetrlimit},
    {192, "mmap2", &P::sys_mmap2},
    {193, "truncate64", &P::sys_truncate64},
    {194, "ftruncate64", &P::sys_ftruncate64},
    {195, "stat64", &P::sys_stat64},
    {196, "lstat64", &P::sys_lstat64},
    {197, "fstat64", &P::sys_fstat64},
    {199, "getuid32", &P::sys_getuid},
    {200, "getgid32", &P::sys_getuid},
    {201, "geteuid32", &P::sys_getuid},
    {202, "getegid32", &P::sys_getuid},
    {203, "setreuid32", &P::sys_set_id},
    {204, "setregid32", &P::sys_set_id},
    {205, "getgroups32", &P::sys_getgroups},
    {208, "setresuid32", &P::sys_set_id},
    {209, "getresuid32", &P::sys_getresuid},
    {210, "setresgid32", &P::sys_set_id},
    {211, "getresgid32", &P::sys_getresuid},
    {213, "setuid32", &P::sys_set_id},
    {214, "setgid32", &P::sys_set_id},
    {219, "madvise", &P::sys_madvise},
    {220, "getdents64", &P::sys_getdents64},
    {221, "fcntl64", &P::sys_fcntl64},
    {224, "gettid", &P::sys_getpid},
    {238, "tkill", &P::sys_kill},
    {240, "futex", &P::sys_futex},
    {241, "sched_setaffinity", &P::sys_ok},
    {242, "sched_getaffinity", &P::sys_sched_getaffinity},
    {243, "set_thread_area", &P::sys_set_thread_area},
    {244, "get_thread_area", &P::sys_get_thread_area},
    {252, "exit_group", &P::sys_exit},
    {258, "set_tid_address", &P::sys_set_tid_address},
    {265, "clock_gettime", &P::sys_clock_gettime},
    {267, "clock_nanosleep", &P::sys_clock_nanosleep},
    {270, "tgkill", &P::sys_tgkill},
    {295, "openat", &P::sys_openat},
    {296, "mkdirat", &P::sys_mkdirat},
    {300, "fstatat64", &P::sys_fstatat64},
    {301, "unlinkat", &P::sys_unlinkat},
    {302, "renameat", &P::sys_renameat},
    {304, "symlinkat", &P::sys_symlinkat},
    {305, "readlinkat", &P::sys_readlinkat},
    {306, "fchmodat", &P::sys_fchmodat},
    {307, "faccessat", &P::sys_faccessat},
    {308, "pselect6", &P::sys_pselect6},
    {309, "ppoll", &P::sys_ppoll},
    {311, "set_robust_list", &P::sys_ok},
    {320, "utimensat", &P::sys_utimensat},
    {330, "dup3", &P::sys_dup3},
    {331, "pipe2", &P::sys_pipe2},
    {340, "prlimit64", &P::sys_prlimit64},
    {353, "renameat2", &P::sys_renameat2},
    {355, "getrandom", &P::sys_getrandom},
    {383, "statx", &P::sys_statx},
    {403, "clock_gettime64", &P::sys_clock_gettime64},
    {407, "clock_nanosleep_time64", &P::sys_clock_nanosleep64},
    {412, "utimensat_time64", &P::sys_utimensat64},
    {413, "pselect6_time64", &P::sys_pselect6_64},
    {414, "ppoll_time64", &P::sys_ppoll64},
    {422, "futex_time64", &P::sys_futex64},
    {439, "faccessat2", &P::sys_faccessat},
};

}  // namespace

const SyscallEntry* find_syscall(uint32_t nr) {
    static const auto by_number = [] {
        std::array<const SyscallEntry*, 512> index{};
        for (const SyscallEntry& e : kTable) index[e.nr] = &e;
        return index;
    }();
    return nr < by_number.size() ? by_number[nr] : nullptr;
}

void trace_syscall(FILE* out, int32_t pid, const SyscallArgs& args, const SyscallEntry* entry, int32_t result) {
    if (pid == 1) std::fputs("[vx] ", out);
    else std::fprintf(out, "[vx %d] ", pid);
    if (!entry) {
        std::fprintf(out, "syscall %u (not implemented) = -ENOSYS\n", args.nr);
        return;
    }
    std::fprintf(out, "%s(0x%x, 0x%x, 0x%x) = ", entry->name, args.a[0], args.a[1], args.a[2]);
    if (result < 0 && result > -4096)
        std::fprintf(out, "-%s\n", strerrorname_np(-result));
    else
        std::fprintf(out, "%d (0x%x)\n", result, uint32_t(result));
}

}  // namespace vx::os::linux_i386
