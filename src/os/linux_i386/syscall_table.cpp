// The i386 system calls this personality implements, one line each.
#include "os/linux_i386/syscall_table.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

namespace vx::os::linux_i386 {
namespace {

using P = LinuxProcess;

constexpr SyscallEntry kTable[] = {
    {1, "exit", &P::sys_exit, "d"},
    {2, "fork", &P::sys_fork},
    {3, "read", &P::sys_read, "fbu"},
    {4, "write", &P::sys_write, "fbu"},
    {5, "open", &P::sys_open, "sxo"},
    {6, "close", &P::sys_close, "f"},
    {7, "waitpid", &P::sys_waitpid, "dxx"},
    {9, "link", &P::sys_link, "ss"},
    {10, "unlink", &P::sys_unlink, "s"},
    {11, "execve", &P::sys_execve, "sxx"},
    {12, "chdir", &P::sys_chdir, "s"},
    {13, "time", &P::sys_time},
    {15, "chmod", &P::sys_chmod, "so"},
    {19, "lseek", &P::sys_lseek, "fdd"},
    {20, "getpid", &P::sys_getpid},
    {23, "setuid", &P::sys_set_id},
    {24, "getuid", &P::sys_getuid},
    {27, "alarm", &P::sys_alarm, "u"},
    {29, "pause", &P::sys_pause},
    {33, "access", &P::sys_access, "sx"},
    {37, "kill", &P::sys_kill, "dd"},
    {38, "rename", &P::sys_rename, "ss"},
    {39, "mkdir", &P::sys_mkdir, "so"},
    {40, "rmdir", &P::sys_rmdir, "s"},
    {41, "dup", &P::sys_dup, "f"},
    {42, "pipe", &P::sys_pipe},
    {43, "times", &P::sys_times},
    {45, "brk", &P::sys_brk, "x"},
    {46, "setgid", &P::sys_set_id},
    {47, "getgid", &P::sys_getuid},
    {49, "geteuid", &P::sys_getuid},
    {50, "getegid", &P::sys_getuid},
    {54, "ioctl", &P::sys_ioctl, "fxx"},
    {55, "fcntl", &P::sys_fcntl, "fdx"},
    {57, "setpgid", &P::sys_setpgid, "dd"},
    {60, "umask", &P::sys_umask, "o"},
    {63, "dup2", &P::sys_dup2, "ff"},
    {64, "getppid", &P::sys_getppid},
    {65, "getpgrp", &P::sys_getpgrp},
    {66, "setsid", &P::sys_setsid},
    {77, "getrusage", &P::sys_getrusage},
    {78, "gettimeofday", &P::sys_gettimeofday},
    {83, "symlink", &P::sys_symlink, "ss"},
    {85, "readlink", &P::sys_readlink, "sxu"},
    {90, "mmap", &P::sys_old_mmap},
    {91, "munmap", &P::sys_munmap, "xu"},
    {92, "truncate", &P::sys_truncate, "sd"},
    {93, "ftruncate", &P::sys_ftruncate, "fd"},
    {94, "fchmod", &P::sys_fchmod, "fo"},
    {104, "setitimer", &P::sys_setitimer},
    {105, "getitimer", &P::sys_getitimer},
    {114, "wait4", &P::sys_wait4, "dxxx"},
    {116, "sysinfo", &P::sys_sysinfo},
    {118, "fsync", &P::sys_fsync, "f"},
    {119, "sigreturn", &P::sys_sigreturn},
    {120, "clone", &P::sys_clone, "xxxxx"},
    {122, "uname", &P::sys_uname},
    {125, "mprotect", &P::sys_mprotect, "xux"},
    {132, "getpgid", &P::sys_getpgid, "d"},
    {133, "fchdir", &P::sys_fchdir, "f"},
    {140, "_llseek", &P::sys_llseek, "fuuxd"},
    {142, "_newselect", &P::sys_select, "dxxxx"},
    {143, "flock", &P::sys_flock, "fx"},
    {145, "readv", &P::sys_readv, "fxu"},
    {146, "writev", &P::sys_writev, "fxu"},
    {148, "fdatasync", &P::sys_fsync, "f"},
    {158, "sched_yield", &P::sys_sched_yield},
    {162, "nanosleep", &P::sys_nanosleep, "xx"},
    {163, "mremap", &P::sys_mremap, "xuuxx"},
    {168, "poll", &P::sys_poll, "xud"},
    {172, "prctl", &P::sys_prctl},
    {173, "rt_sigreturn", &P::sys_rt_sigreturn},
    {174, "rt_sigaction", &P::sys_rt_sigaction, "dxxu"},
    {175, "rt_sigprocmask", &P::sys_rt_sigprocmask, "dxxu"},
    {176, "rt_sigpending", &P::sys_rt_sigpending},
    {177, "rt_sigtimedwait", &P::sys_rt_sigtimedwait, "xxxu"},
    {179, "rt_sigsuspend", &P::sys_rt_sigsuspend},
    {180, "pread64", &P::sys_pread64, "fbuuu"},
    {181, "pwrite64", &P::sys_pwrite64, "fbuuu"},
    {183, "getcwd", &P::sys_getcwd, "xu"},
    {186, "sigaltstack", &P::sys_sigaltstack, "xx"},
    {187, "sendfile", &P::sys_sendfile, "ffxu"},
    {190, "vfork", &P::sys_vfork},
    {191, "ugetrlimit", &P::sys_ugetrlimit, "dx"},
    {192, "mmap2", &P::sys_mmap2, "xuxxfx"},
    {193, "truncate64", &P::sys_truncate64, "suu"},
    {194, "ftruncate64", &P::sys_ftruncate64, "fuu"},
    {195, "stat64", &P::sys_stat64, "sx"},
    {196, "lstat64", &P::sys_lstat64, "sx"},
    {197, "fstat64", &P::sys_fstat64, "fx"},
    {198, "lchown32", &P::sys_chown, "sux"},
    {199, "getuid32", &P::sys_getuid},
    {200, "getgid32", &P::sys_getuid},
    {201, "geteuid32", &P::sys_getuid},
    {202, "getegid32", &P::sys_getuid},
    {203, "setreuid32", &P::sys_set_id},
    {204, "setregid32", &P::sys_set_id},
    {205, "getgroups32", &P::sys_getgroups},
    {207, "fchown32", &P::sys_fchown, "fdd"},
    {208, "setresuid32", &P::sys_set_id},
    {209, "getresuid32", &P::sys_getresuid},
    {210, "setresgid32", &P::sys_set_id},
    {211, "getresgid32", &P::sys_getresuid},
    {212, "chown32", &P::sys_chown, "sdd"},
    {213, "setuid32", &P::sys_set_id},
    {214, "setgid32", &P::sys_set_id},
    {219, "madvise", &P::sys_madvise, "xud"},
    {220, "getdents64", &P::sys_getdents64, "fxu"},
    {221, "fcntl64", &P::sys_fcntl64, "fdx"},
    {224, "gettid", &P::sys_getpid},
    {238, "tkill", &P::sys_kill, "dd"},
    {239, "sendfile64", &P::sys_sendfile64, "ffxu"},
    {240, "futex", &P::sys_futex, "xxdxxd"},
    {241, "sched_setaffinity", &P::sys_sched_setaffinity},
    {242, "sched_getaffinity", &P::sys_sched_getaffinity},
    {243, "set_thread_area", &P::sys_set_thread_area, "x"},
    {244, "get_thread_area", &P::sys_get_thread_area},
    {250, "fadvise64", &P::sys_fadvise64},
    {252, "exit_group", &P::sys_exit, "d"},
    {258, "set_tid_address", &P::sys_set_tid_address},
    {265, "clock_gettime", &P::sys_clock_gettime, "dx"},
    {267, "clock_nanosleep", &P::sys_clock_nanosleep},
    {270, "tgkill", &P::sys_tgkill, "ddd"},
    {272, "fadvise64_64", &P::sys_fadvise64},
    {295, "openat", &P::sys_openat, "fsxo"},
    {296, "mkdirat", &P::sys_mkdirat, "fso"},
    {298, "fchownat", &P::sys_fchownat, "fsddx"},
    {300, "fstatat64", &P::sys_fstatat64, "fsxx"},
    {301, "unlinkat", &P::sys_unlinkat, "fsx"},
    {302, "renameat", &P::sys_renameat, "fsfs"},
    {303, "linkat", &P::sys_linkat, "fsfsx"},
    {304, "symlinkat", &P::sys_symlinkat, "sfs"},
    {305, "readlinkat", &P::sys_readlinkat, "fsxu"},
    {306, "fchmodat", &P::sys_fchmodat, "fso"},
    {307, "faccessat", &P::sys_faccessat, "fsxx"},
    {308, "pselect6", &P::sys_pselect6, "dxxxxx"},
    {309, "ppoll", &P::sys_ppoll, "xuxxu"},
    {311, "set_robust_list", &P::sys_ok},
    {320, "utimensat", &P::sys_utimensat, "fsxx"},
    {330, "dup3", &P::sys_dup3, "ffx"},
    {331, "pipe2", &P::sys_pipe2, "xx"},
    {340, "prlimit64", &P::sys_prlimit64, "ddxx"},
    {353, "renameat2", &P::sys_renameat2, "fsfsx"},
    {355, "getrandom", &P::sys_getrandom, "xux"},
    {383, "statx", &P::sys_statx, "fsxxx"},
    {403, "clock_gettime64", &P::sys_clock_gettime64, "dx"},
    {407, "clock_nanosleep_time64", &P::sys_clock_nanosleep64},
    {412, "utimensat_time64", &P::sys_utimensat64, "fsxx"},
    {413, "pselect6_time64", &P::sys_pselect6_64},
    {414, "ppoll_time64", &P::sys_ppoll64},
    {421, "rt_sigtimedwait_time64", &P::sys_rt_sigtimedwait64, "xxxu"},
    {422, "futex_time64", &P::sys_futex64, "xxdxxd"},
    {436, "close_range", &P::sys_close_range, "uux"},
    {439, "faccessat2", &P::sys_faccessat, "fsxx"},
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

namespace {

void trace_string(FILE* out, const GuestMemory& memory, uint32_t address, uint32_t limit, bool stop_at_nul) {
    constexpr uint32_t kShown = 48;
    std::string text;
    uint32_t i = 0;
    for (; i < limit && i < kShown; ++i) {
        char c;
        if (!memory.read(address + i, &c, 1)) {
            if (i == 0) {
                std::fprintf(out, "0x%x", address);
                return;
            }
            break;
        }
        if (stop_at_nul && c == '\0') break;
        switch (c) {
        case '\n': text += "\\n"; break;
        case '\t': text += "\\t"; break;
        case '"': text += "\\\""; break;
        case '\\': text += "\\\\"; break;
        default:
            if (c >= 0x20 && c < 0x7f) {
                text += c;
            } else {
                char escaped[8];
                std::snprintf(escaped, sizeof escaped, "\\x%02x", uint8_t(c));
                text += escaped;
            }
        }
    }
    std::fprintf(out, "\"%s\"%s", text.c_str(), i == kShown && i < limit ? "..." : "");
}

}  // namespace

void trace_syscall(FILE* out, const GuestMemory& memory, int32_t pid, const SyscallArgs& args,
                   const SyscallEntry* entry, int32_t result) {
    if (pid == 1) std::fputs("[vx] ", out);
    else std::fprintf(out, "[vx %d] ", pid);
    if (!entry) {
        std::fprintf(out, "syscall %u (not implemented) = -ENOSYS\n", args.nr);
        return;
    }
    std::fprintf(out, "%s(", entry->name);
    const char* format = entry->args ? entry->args : "xxx";
    for (int i = 0; format[i] && i < 6; ++i) {
        if (i) std::fputs(", ", out);
        const uint32_t v = args.a[i];
        switch (format[i]) {
        case 'd': std::fprintf(out, "%d", int32_t(v)); break;
        case 'u': std::fprintf(out, "%u", v); break;
        case 'o': std::fprintf(out, "%#o", v); break;
        case 'f': int32_t(v) == -100 ? std::fputs("AT_FDCWD", out) : std::fprintf(out, "%d", int32_t(v)); break;
        case 's': trace_string(out, memory, v, 4096, true); break;
        case 'b': {
            // A buffer shows what the call moved: for a read, what was read.
            uint32_t length = i + 1 < 6 ? args.a[i + 1] : 0;
            if (result >= 0 && uint32_t(result) < length) length = uint32_t(result);
            trace_string(out, memory, v, length, false);
            break;
        }
        default: std::fprintf(out, "0x%x", v); break;
        }
    }
    std::fputs(") = ", out);
    if (result < 0 && result > -4096)
        std::fprintf(out, "-%s (%s)\n", strerrorname_np(-result), strerror(-result));
    else if (result >= 0 && result < 4096)
        std::fprintf(out, "%d\n", result);
    else
        std::fprintf(out, "0x%x\n", uint32_t(result));
}

}  // namespace vx::os::linux_i386
