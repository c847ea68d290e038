#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "vx/error.h"

namespace vx {

enum Perm : uint8_t { kNone = 0, kRead = 1, kWrite = 2, kExec = 4 };
inline Perm operator|(Perm a, Perm b) { return Perm(uint8_t(a) | uint8_t(b)); }

inline constexpr uint32_t kPageSize = 4096;
inline constexpr uint64_t kMaxGuestMemory = 3ull << 30;
// Host address space reserved per guest: 4 GiB and a 64 KiB guard above it.
inline constexpr uint64_t kReservation = (1ull << 32) + (64u << 10);

// The guest's address space: guest addresses 0 .. size()-1 at host_base(), in a
// reservation that covers every 32-bit address (the engine confines guest
// accesses to it). Guest page
// permissions are tracked here; the host-side accessors check them, so no guest
// pointer ever becomes a host access outside the region.
class GuestMemory {
public:
    explicit GuestMemory(uint64_t size);
    ~GuestMemory();
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;

    uint32_t size() const { return size_; }
    uint8_t* host_base() const { return base_; }

    // Page-aligned ranges inside the guest; throw vx::Error otherwise.
    // `shared` pages stay shared with the copies of this memory that a host
    // fork makes (Sandbox::fork_host_process), as MAP_SHARED memory is.
    void map(uint32_t addr, uint32_t length, Perm perms, bool shared = false);
    void protect(uint32_t addr, uint32_t length, Perm perms);
    void unmap(uint32_t addr, uint32_t length);
    // Moves the pages of [from, from+old_length) to `to`, contents and
    // permissions kept, growing the range to new_length with zero pages of
    // the same permissions (as mremap); the old range ends unmapped. False,
    // and nothing changed, when the old range is not one uniform mapping or
    // the two ranges overlap.
    bool move(uint32_t from, uint32_t old_length, uint32_t to, uint32_t new_length);

    Perm perms_at(uint32_t addr) const;
    // Whether the page holding `addr` is mapped, even if with no permission.
    bool mapped(uint32_t addr) const { return addr < size_ && (perms_[addr / kPageSize] & kMapped); }
    // Bytes of guest pages mapped (with any permissions): what the host may
    // have to back with memory.
    uint64_t mapped_bytes() const { return uint64_t(mapped_pages_) * kPageSize; }
    // True when every byte of [addr, addr+length) is in the guest and has
    // `needed`. Asking for kWrite is how the host prepares to write there
    // itself: pages write-protected for translations become writable again
    // (and exec_generation changes, so their translations go).
    bool accessible(uint32_t addr, uint64_t length, Perm needed) const;

    // Translated code: the engine write-protects a page it translated code
    // from (also when the guest makes it writable later), so that a guest
    // write to it faults (and the translations go) instead of running stale
    // code. release_code makes it writable again; false when it was not
    // protected.
    void protect_code(uint32_t addr);
    bool release_code(uint32_t addr);
    bool code_protected(uint32_t addr) const {
        return addr < size_ && (perms_[addr / kPageSize] & kCodeProtected);
    }

    // Host-side copies; false (and nothing copied) unless the whole range is
    // accessible with read (resp. write) permission.
    bool read(uint32_t addr, void* dst, size_t length) const;
    bool write(uint32_t addr, const void* src, size_t length);

    // Counts changes that may make translations stale: execute permission
    // removed, executable pages unmapped or written by the host. (Writes by
    // the guest itself are not seen here.)
    uint64_t exec_generation() const { return exec_generation_; }

private:
    void check_range(uint32_t addr, uint32_t length, const char* what) const;
    bool touches_exec(uint32_t addr, size_t length) const;
    void set_perms(uint32_t addr, uint32_t length, Perm perms);  // of newly mapped pages

    static constexpr uint8_t kMapped = 8;  // beside the Perm bits of perms_
    static constexpr uint8_t kCodeProtected = 16;
    void release_code_in(uint32_t addr, uint64_t length) const;
    bool unprotect_code_page(uint32_t page) const;  // false: it was not protected

    uint8_t* base_ = nullptr;
    uint32_t size_ = 0;
    // One Perm (| kMapped, | kCodeProtected) per page; mutable for accessible().
    mutable std::vector<uint8_t> perms_;
    uint32_t mapped_pages_ = 0;
    mutable uint64_t exec_generation_ = 0;
};

}  // namespace vx
