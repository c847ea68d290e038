#pragma once
// The Linux i386 ABI as the personality needs it: syscall arguments, error
// numbers as results, and the few kernel structures it fills in.
#include <cerrno>
#include <cstdint>

namespace vx::os::linux_i386 {

inline constexpr unsigned kSignals = 65;  // 1..64

// struct sigaction as rt_sigaction takes it from an i386 process.
struct KernelSigaction32 {
    uint32_t handler;
    uint32_t flags;
    uint32_t restorer;
    uint64_t mask;
} __attribute__((packed));
static_assert(sizeof(KernelSigaction32) == 20);

struct SyscallArgs {
    uint32_t nr;
    uint32_t a[6];  // ebx, ecx, edx, esi, edi, ebp
};

inline int32_t fail(int error) { return -error; }

// set_thread_area's GDT slots, as an x86-64 kernel gives i386 processes.
inline constexpr unsigned kFirstTlsEntry = 12;
inline constexpr unsigned kTlsEntries = 3;

// struct user_desc (asm/ldt.h), as the guest passes it.
struct UserDesc {
    uint32_t entry_number;
    uint32_t base_addr;
    uint32_t limit;
    uint32_t flags;  // seg_32bit:1 contents:2 read_exec_only:1 limit_in_pages:1 seg_not_present:1 useable:1
};
static_assert(sizeof(UserDesc) == 16);

// struct iovec of an i386 process.
struct Iovec32 {
    uint32_t base;
    uint32_t length;
};

}  // namespace vx::os::linux_i386
