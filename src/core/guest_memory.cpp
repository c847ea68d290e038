#include "vx/guest_memory.h"

#include <sys/mman.h>

#include <cstring>
#include <string>

#include "vx/error.h"

namespace vx {
namespace {

int host_prot(Perm perms) {
    // Guest code is never executed in place (the engine translates or runs it in
    // a VM), so guest pages are never host-executable.
    if (perms & kWrite) return PROT_READ | PROT_WRITE;
    if (perms & (kRead | kExec)) return PROT_READ;
    return PROT_NONE;
}

}  // namespace

GuestMemory::GuestMemory(uint64_t size) {
    if (size < 16 * kPageSize || size > kMaxGuestMemory || size % kPageSize)
        throw Error("guest memory size must be a multiple of 4 KiB between 64 KiB and 3 GiB");
    size_ = uint32_t(size);
    // Always the whole 4 GiB a 32-bit address can reach, plus a guard for wide
    // accesses that start near the top: no guest address leads outside it.
    void* base = mmap(nullptr, kReservation, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw Error(std::string("cannot reserve guest memory: ") + strerror(errno));
    base_ = static_cast<uint8_t*>(base);
    perms_.assign(size_ / kPageSize, kNone);
}

GuestMemory::~GuestMemory() { munmap(base_, kReservation); }

void GuestMemory::check_range(uint32_t addr, uint32_t length, const char* what) const {
    if (addr % kPageSize || length % kPageSize || uint64_t(addr) + length > size_)
        throw Error(std::string(what) + ": range " + std::to_string(addr) + "+" +
                    std::to_string(length) + " is not page-aligned inside guest memory");
}

void GuestMemory::map(uint32_t addr, uint32_t length, Perm perms, bool shared) {
    check_range(addr, length, "map");
    // Fresh zero pages, as Linux gives a new mapping.
    if (mmap(base_ + addr, length, host_prot(perms), (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED,
             -1, 0) == MAP_FAILED)
        throw Error(std::string("map: ") + strerror(errno));
    set_perms(addr, length, perms);
}

void GuestMemory::set_perms(uint32_t addr, uint32_t length, Perm perms) {
    for (uint32_t p = addr / kPageSize; p < (addr + length) / kPageSize; ++p) {
        if (perms_[p] & kExec) ++exec_generation_;
        if (!(perms_[p] & kMapped)) ++mapped_pages_;
        perms_[p] = perms | kMapped;
    }
}

void GuestMemory::protect(uint32_t addr, uint32_t length, Perm perms) {
    check_range(addr, length, "protect");
    if (mprotect(base_ + addr, length, host_prot(perms)) != 0)
        throw Error(std::string("protect: ") + strerror(errno));
    for (uint32_t p = addr / kPageSize; p < (addr + length) / kPageSize; ++p) {
        if ((perms_[p] & kExec) && !(perms & kExec)) ++exec_generation_;
        // Code that stays executable stays translated, so a guest write to it
        // must still fault.
        const bool still_code = (perms_[p] & kCodeProtected) && (perms & kExec);
        perms_[p] = uint8_t((perms_[p] & kMapped) | perms | (still_code ? kCodeProtected : 0));
        if (still_code && (perms & kWrite)) mprotect(base_ + uint64_t(p) * kPageSize, kPageSize, PROT_READ);
    }
}

void GuestMemory::unmap(uint32_t addr, uint32_t length) {
    check_range(addr, length, "unmap");
    if (mmap(base_ + addr, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED |
             MAP_NORESERVE, -1, 0) == MAP_FAILED)
        throw Error(std::string("unmap: ") + strerror(errno));
    for (uint32_t p = addr / kPageSize; p < (addr + length) / kPageSize; ++p) {
        if (perms_[p] & kExec) ++exec_generation_;
        if (perms_[p] & kMapped) --mapped_pages_;
        perms_[p] = kNone;
    }
}

bool GuestMemory::move(uint32_t from, uint32_t old_length, uint32_t to, uint32_t new_length) {
    check_range(from, old_length, "move");
    check_range(to, new_length, "move");
    if (uint64_t(from) < uint64_t(to) + new_length && uint64_t(to) < uint64_t(from) + old_length) return false;
    release_code_in(from, old_length);  // the host mapping moves with its protection
    const uint8_t perms = perms_[from / kPageSize];
    for (uint32_t p = from / kPageSize; p < (from + old_length) / kPageSize; ++p)
        if (perms_[p] != perms) return false;
    if (mremap(base_ + from, old_length, new_length, MREMAP_MAYMOVE | MREMAP_FIXED, base_ + to) == MAP_FAILED)
        return false;
    unmap(from, old_length);  // the host left a hole there: the reservation covers it again
    set_perms(to, new_length, Perm(perms & ~kMapped));
    return true;
}

Perm GuestMemory::perms_at(uint32_t addr) const {
    return addr < size_ ? Perm(perms_[addr / kPageSize] & (kRead | kWrite | kExec)) : kNone;
}

bool GuestMemory::accessible(uint32_t addr, uint64_t length, Perm needed) const {
    if (addr > size_ || length > size_ - addr) return false;  // no sum that could wrap
    if (length == 0) return true;
    for (uint64_t p = addr / kPageSize; p <= (addr + length - 1) / kPageSize; ++p)
        if ((perms_[p] & needed) != needed) return false;
    if (needed & kWrite) release_code_in(addr, length);
    return true;
}

void GuestMemory::release_code_in(uint32_t addr, uint64_t length) const {
    if (length == 0) return;
    for (uint64_t p = addr / kPageSize; p <= (addr + length - 1) / kPageSize; ++p)
        if (unprotect_code_page(uint32_t(p))) ++exec_generation_;
}

bool GuestMemory::unprotect_code_page(uint32_t page) const {
    if (!(perms_[page] & kCodeProtected)) return false;
    mprotect(base_ + uint64_t(page) * kPageSize, kPageSize, host_prot(Perm(perms_[page] & (kRead | kWrite | kExec))));
    perms_[page] &= uint8_t(~kCodeProtected);
    return true;
}

void GuestMemory::protect_code(uint32_t addr) {
    if (addr >= size_) return;
    uint8_t& perms = perms_[addr / kPageSize];
    if (perms & kCodeProtected) return;
    // A page the guest cannot write is read-only for the host already; it is
    // marked all the same, for the day the guest makes it writable.
    if (!(perms & kWrite) || mprotect(base_ + (addr & ~(kPageSize - 1)), kPageSize, PROT_READ) == 0)
        perms |= kCodeProtected;
}

bool GuestMemory::release_code(uint32_t addr) {
    return addr < size_ && unprotect_code_page(addr / kPageSize);
}

bool GuestMemory::read(uint32_t addr, void* dst, size_t length) const {
    if (!accessible(addr, length, kRead)) return false;
    std::memcpy(dst, base_ + addr, length);
    return true;
}

bool GuestMemory::write(uint32_t addr, const void* src, size_t length) {
    if (!accessible(addr, length, kWrite)) return false;
    std::memcpy(base_ + addr, src, length);
    if (length && touches_exec(addr, length)) ++exec_generation_;  // translations may be stale
    return true;
}

bool GuestMemory::touches_exec(uint32_t addr, size_t length) const {
    for (uint64_t p = addr / kPageSize; p <= (addr + length - 1) / kPageSize; ++p)
        if (perms_[p] & kExec) return true;
    return false;
}

}  // namespace vx
