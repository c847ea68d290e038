#pragma once
// The i386 system call numbers the personality's logic names (the table in
// syscall_table.cpp lists every one it serves). They are the kernel's
// (<asm/unistd_32.h>), but that header cannot be included where
// <sys/syscall.h> is: both define __NR_*, the latter with the host's x86-64
// numbers, which the personality's own host calls use. So they are written
// out here, and syscall_numbers.cpp, which includes the kernel's header and
// nothing else, checks each against it when it compiles.
#include <cstdint>

namespace vx::os::linux_i386::nr {

inline constexpr uint32_t close = 6;
inline constexpr uint32_t pause = 29;
inline constexpr uint32_t kill = 37;
inline constexpr uint32_t sigreturn = 119;
inline constexpr uint32_t nanosleep = 162;
inline constexpr uint32_t poll = 168;
inline constexpr uint32_t rt_sigreturn = 173;
inline constexpr uint32_t rt_sigsuspend = 179;
inline constexpr uint32_t mmap2 = 192;
inline constexpr uint32_t lchown32 = 198;
inline constexpr uint32_t setreuid32 = 203;
inline constexpr uint32_t setregid32 = 204;
inline constexpr uint32_t setresuid32 = 208;
inline constexpr uint32_t setresgid32 = 210;
inline constexpr uint32_t tkill = 238;
inline constexpr uint32_t clock_nanosleep = 267;
inline constexpr uint32_t clock_nanosleep_time64 = 407;

}  // namespace vx::os::linux_i386::nr
