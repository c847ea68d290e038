#pragma once
// The guest's descriptor table: guest descriptor numbers, each standing for a
// host descriptor made for the guest alone (owned here, closed exactly once),
// its place in the file namespace and its close-on-exec flag. The rules are
// Linux's: a new descriptor takes the lowest free number (at or above one
// asked for), numbers stop at the open-files limit (RLIMIT_NOFILE), dup
// clears close-on-exec, dup2 onto itself does nothing, execve closes the
// close-on-exec ones. A guest fork is a host fork: the child's copy of the
// table holds the host descriptors the kernel copied, all of them.
#include <cstdint>
#include <optional>
#include <vector>

#include "os/linux_i386/file_namespace.h"

namespace vx::os::linux_i386 {

// getdents64's offsets as the guest sees them: a 64-bit host hands out
// directory offsets (file-name hashes) that i386 glibc cannot hold, so the
// guest gets small cookies (1, 2, ... in the order handed out) instead, and
// lseek(SEEK_SET) maps them back.
class DirectoryCookies {
public:
    // The cookie that stands for `host_offset` from now on.
    int64_t hand_out(int64_t host_offset);
    // The host offset for a guest SEEK_SET to `cookie`: 0 rewinds (and the
    // cookies are handed out afresh); -1 for one never handed out.
    int64_t host_offset(int64_t cookie);

private:
    std::vector<int64_t> host_offsets_;  // by cookie - 1
};

struct Descriptor {
    int host = -1;  // owned by the table
    Place place;    // where it lies in the namespace, for *at calls ("" for a pipe, the host's stdio)
    bool close_on_exec = false;
    // Set once getdents64 has listed it (a host directory): from then its
    // offsets are cookies.
    std::optional<DirectoryCookies> cookies;
};

class DescriptorTable {
public:
    // Whatever the options say, no guest has more (nor numbers beyond).
    static constexpr uint32_t kMaxDescriptors = 1024;

    // Guest numbers stay below `limit` (at most kMaxDescriptors).
    explicit DescriptorTable(uint32_t limit);
    ~DescriptorTable();  // closes every host descriptor it holds
    DescriptorTable(const DescriptorTable&) = delete;
    DescriptorTable& operator=(const DescriptorTable&) = delete;

    uint32_t limit() const { return limit_; }

    // The descriptor guest `fd` names, or nullptr (EBADF).
    Descriptor* find(uint32_t fd);
    const Descriptor* find(uint32_t fd) const;
    // Its host descriptor, or -1.
    int host(uint32_t fd) const;

    // Takes `host` (the table's from here) as the lowest free guest number at
    // or above `lowest`: that number, or -EMFILE (and `host` is closed).
    int32_t install(int host, uint32_t lowest, bool close_on_exec, Place place = {});
    // Closes guest `fd`: 0, or -EBADF.
    int32_t close(uint32_t fd);
    // F_DUPFD/dup: a new guest descriptor for `fd`'s open file (a host
    // descriptor of its own), the lowest free at or above `lowest`, with
    // `close_on_exec` as given (dup's is clear). The new number, or -EBADF,
    // -EINVAL (`lowest` at or beyond the limit), -EMFILE, or the host's error.
    int32_t duplicate(uint32_t fd, uint32_t lowest, bool close_on_exec);
    // dup2/dup3: `fd` also as `target`, closing what `target` was once the
    // copy is made. `target` itself, or -EBADF (`fd` not open, `target` at
    // or beyond the limit) or the host's error. Onto itself: nothing changes
    // (dup2's rule; dup3 refuses it before).
    int32_t duplicate_onto(uint32_t fd, uint32_t target, bool close_on_exec);
    // What a successful execve does: every close-on-exec descriptor closed.
    void close_on_exec();
    // Closes every descriptor.
    void close_all();

    // Each open descriptor, by increasing number.
    template <typename F>
    void for_each(F&& f) {
        for (uint32_t fd = 0; fd < entries_.size(); ++fd)
            if (entries_[fd].host >= 0) f(fd, entries_[fd]);
    }

private:
    uint32_t limit_;
    std::vector<Descriptor> entries_;  // by guest number; host -1: free
};

}  // namespace vx::os::linux_i386
