#pragma once
#include <cstdio>

#include "os/linux_i386/process.h"

namespace vx::os::linux_i386 {

struct SyscallEntry {
    uint32_t nr;
    const char* name;
    int32_t (LinuxProcess::*handler)(const SyscallArgs&);
    // How the trace (ProcessOptions::trace) shows the arguments, one letter
    // each: d signed, u unsigned, x hex, o octal, f descriptor (AT_FDCWD by
    // name), s guest string, b guest buffer whose length is the next
    // argument. Unset: three in hex.
    const char* args = nullptr;
};

// The entry for i386 syscall `nr`, or nullptr (the guest gets -ENOSYS).
const SyscallEntry* find_syscall(uint32_t nr);

// One strace-like line: name(args) = result, with the guest pid unless it is 1.
// Strings and buffers are read from `memory` after the call (so a read shows
// what it read).
void trace_syscall(FILE* out, const GuestMemory& memory, int32_t pid, const SyscallArgs& args, const SyscallEntry* entry, int32_t result);

}  // namespace vx::os::linux_i386
