#pragma once
// The Linux i386 ABI as the personality needs it: syscall arguments, error
// numbers as results, and the few kernel structures it fills in.
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstdint>

#include "vx/event.h"
#include "vx/sandbox.h"

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

inline constexpr uint32_t kSaRestorer = 0x04000000, kSaNodefer = 0x40000000, kSaResethand = 0x80000000;

// The i386 rt signal frame (the kernel's rt_sigframe_ia32): what a handler
// gets on its stack, and what rt_sigreturn reads back.
struct __attribute__((packed)) SigContext32 {
    uint16_t gs, gsh, fs, fsh, es, esh, ds, dsh;
    uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;
    uint32_t trapno, err, eip;
    uint16_t cs, csh;
    uint32_t eflags, esp_at_signal;
    uint16_t ss, ssh;
    uint32_t fpstate, oldmask, cr2;
};
static_assert(sizeof(SigContext32) == 88);

struct __attribute__((packed)) UContext32 {
    uint32_t flags, link;
    uint32_t stack_sp, stack_flags, stack_size;
    SigContext32 mcontext;
    uint64_t sigmask;
};
static_assert(sizeof(UContext32) == 116);

struct __attribute__((packed)) RtSigFrame32 {
    uint32_t pretcode;  // the handler's return address: the guest's restorer
    int32_t sig;
    uint32_t pinfo, puc;
    uint8_t info[128];  // siginfo: signo, errno, code, then the address or pid/uid
    UContext32 uc;
};
static_assert(sizeof(RtSigFrame32) == 260);

// The frame of a handler installed without SA_SIGINFO (the kernel's
// sigframe_ia32, less its unused inline FPU area); sigreturn reads it back.
struct __attribute__((packed)) SigFrame32 {
    uint32_t pretcode;
    int32_t sig;
    SigContext32 sc;
    uint32_t extramask;  // the upper half of the blocked mask
};

inline constexpr uint32_t kSaSiginfo = 0x00000004, kSaRestart = 0x10000000;

// What an i386 program reads from cs (__USER32_CS) and from ds, es, ss
// (__USER32_DS) on x86-64 Linux.
inline constexpr FlatSelectors kUserSelectors{0x23, 0x2b};

// The signal Linux delivers for a fault (these numbers are the same for
// i386 and x86-64).
inline int signal_for(FaultKind kind) {
    switch (kind) {
    case FaultKind::InvalidInstruction: return SIGILL;
    case FaultKind::DivideError: case FaultKind::FloatingPoint: return SIGFPE;
    case FaultKind::AlignmentCheck: return SIGBUS;
    case FaultKind::Breakpoint: return SIGTRAP;
    default: return SIGSEGV;
    }
}

// The signal every engine stops its guest with on the host
// (Sandbox::interrupt_signal, SIGRTMAX: 64, the same number for an i386
// guest), so a guest cannot have it: sending it (kill, tkill, tgkill, to any
// process, itself included) is EINVAL, as for a signal number Linux does not
// know. sigaction accepts it, as Linux does; it never comes.
inline int unsendable_signal() { return Sandbox::interrupt_signal().signo; }

// The signals guest processes send each other that the host carries: all but
// those it cannot catch and those the engine reports as faults (SIGSEGV,
// SIGBUS, SIGILL, SIGFPE, SIGTRAP; SIGSYS is kept for a seccomp filter) and
// the two the host's C library reserves (32, 33).
inline bool is_mirrored(int signo) {
    switch (signo) {
    case 4: case 5: case 7: case 8: case 9: case 11: case 19: case 31: case 32: case 33: return false;
    default: return signo >= 1 && signo < 65 && signo != unsendable_signal();
    }
}

// Times as i386 processes pass them: the old 32-bit forms and the time64 ones.
struct Timespec32 { int32_t sec, nsec; };
struct Timespec64 { int64_t sec, nsec; };
struct Timeval32 { int32_t sec, usec; };

// struct rusage of an i386 process: two timevals, then 14 longs.
struct Rusage32 {
    Timeval32 utime, stime;
    int32_t rest[14];
};
static_assert(sizeof(Rusage32) == 72);

Rusage32 to_rusage32(const struct rusage& usage);

// stack_t, for sigaltstack.
struct StackT32 {
    uint32_t sp;
    int32_t flags;
    uint32_t size;
};

struct SyscallArgs {
    uint32_t nr;
    uint32_t a[6];  // ebx, ecx, edx, esi, edi, ebp
};

inline int32_t fail(int error) { return -error; }

// A 64-bit value an i386 call passes as two 32-bit arguments.
inline int64_t join64(uint32_t low, uint32_t high) { return int64_t((uint64_t(high) << 32) | low); }

// Who the guest is, and how it sees the owners of files: what the host user
// running it owns is the guest's; anything else belongs to nobody.
inline constexpr uint32_t kGuestUid = 1000, kGuestGid = 1000, kNobody = 65534;
uint32_t guest_owner_uid(uint32_t host_uid);
uint32_t guest_owner_gid(uint32_t host_gid);

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
inline constexpr uint32_t kUserDescSeg32Bit = 1u << 0, kUserDescContents = 3u << 1, kUserDescReadExecOnly = 1u << 3,
                          kUserDescNotPresent = 1u << 5;
inline constexpr uint32_t kUserDescFlags = 0x7f;  // the rest (lm, bit 7) the kernel ignores for i386
static_assert(sizeof(UserDesc) == 16);

// struct iovec of an i386 process.
struct Iovec32 {
    uint32_t base;
    uint32_t length;
};

}  // namespace vx::os::linux_i386
