#include "vx/guest_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "vx/error.h"
#include "vx/shared_buffer.h"

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

int GuestMemory::host_prot_of(PageFlags flags) {
    if (!(flags & kMapped)) return PROT_NONE;
    if ((flags & (kCodeProtected | kCopyPending)) && (flags & kWrite)) return PROT_READ;
    return host_prot(Perm(flags & (kRead | kWrite | kExec)));
}

// Pages the host keeps in one mapping when they are next to each other.
GuestMemory::PageFlags GuestMemory::host_key(PageFlags flags) {
    if (!(flags & kMapped)) return 0;
    return PageFlags(1 | host_prot_of(flags) << 1 | (flags & (kShared | kImage)));
}

bool GuestMemory::starts_mapping(PageFlags here, PageFlags before) {
    // Between two writable private pages Linux accounts both: no edge.
    const bool accounted_alike = (host_prot_of(here) & PROT_WRITE) && (host_prot_of(before) & PROT_WRITE) &&
                                 !((here | before) & kShared);
    return host_key(here) != host_key(before) || (here & kMappingStart) ||
           ((here & kAccountingEdge) && !accounted_alike);
}

GuestMemory::TableMemory::TableMemory(uint64_t pages) : bytes(pages * (sizeof(PageFlags) + 1)) {
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw Error(std::string("cannot map guest memory's page tables: ") + strerror(errno));
    base = static_cast<uint8_t*>(memory);
}

GuestMemory::TableMemory::~TableMemory() { munmap(base, bytes); }

static uint64_t checked_pages(uint64_t size) {
    if (size < 16 * kPageSize || size > kMaxGuestMemory || size % kPageSize)
        throw Error("guest memory size must be a multiple of 4 KiB between 64 KiB and 3 GiB");
    return size / kPageSize;
}

GuestMemory::GuestMemory(uint64_t size, uint32_t max_host_mappings)
    : tables_(checked_pages(size)),
      perms_(tables_.base, size / kPageSize),
      held_(tables_.base + size / kPageSize * sizeof(PageFlags), size / kPageSize),
      max_host_mappings_(max_host_mappings) {
    if (max_host_mappings < 16) throw Error("the host mappings limit must be at least 16");
    size_ = uint32_t(size);
    // Always the whole 4 GiB a 32-bit address can reach, plus a guard for wide
    // accesses that start near the top: no guest address leads outside it.
    void* base = mmap(nullptr, kReservation, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) throw Error(std::string("cannot reserve guest memory: ") + strerror(errno));
    base_ = static_cast<uint8_t*>(base);
    touched_runs_.assign((size_ / kCopyRun + 63) / 64 + 1, 0);
}

uint64_t GuestMemory::next_touched(uint64_t run) const {
    for (uint64_t word = run / 64; word < touched_runs_.size(); ++word) {
        const uint64_t bits = touched_runs_[word] & (word == run / 64 ? ~uint64_t(0) << (run % 64) : ~uint64_t(0));
        if (bits) return word * 64 + uint64_t(__builtin_ctzll(bits));
    }
    return touched_runs_.size() * 64;
}

void GuestMemory::touch(uint64_t first_page, uint64_t end_page) const {
    if (first_page >= end_page) return;
    tables_zero_ = false;
    for (uint64_t run = first_page / kCopyRunPages; run <= (end_page - 1) / kCopyRunPages; ++run)
        touched_runs_[run / 64] |= uint64_t(1) << (run % 64);
}

GuestMemory::~GuestMemory() { munmap(base_, kReservation); }

void GuestMemory::check_range(uint32_t addr, uint32_t length, const char* what) const {
    if (addr % kPageSize || length % kPageSize || uint64_t(addr) + length > size_)
        throw Error(std::string(what) + ": range " + std::to_string(addr) + "+" +
                    std::to_string(length) + " is not page-aligned inside guest memory");
}

uint64_t GuestMemory::mappings_with(uint64_t first, const std::vector<PageFlags>& next) const {
    const uint64_t end = first + next.size(), pages = perms_.size();
    auto old_at = [&](uint64_t p) -> PageFlags { return p < pages ? perms_[p] : 0; };  // above: the reservation
    auto new_at = [&](uint64_t p) { return p >= first && p < end ? next[p - first] : old_at(p); };
    // A mapping starts at page p when it differs from page p-1: only the
    // edges from `first` to `end` can change.
    auto starts = [&](auto flags_at) {
        uint64_t n = 0;
        for (uint64_t p = std::max<uint64_t>(first, 1); p <= std::min(end, pages); ++p)
            n += starts_mapping(flags_at(p), flags_at(p - 1));
        return n;
    };
    return host_mappings_ - starts(old_at) + starts(new_at);
}

void GuestMemory::commit(uint64_t first, const std::vector<PageFlags>& next, uint32_t mappings,
                         uint64_t replaced) const {
    touch(first, first + next.size());
    for (uint64_t i = 0; i < next.size(); ++i) {
        PageFlags& flags = perms_[first + i];
        const bool contents_replaced = i < replaced;
        if ((flags & kExec) && (contents_replaced || !(next[i] & kExec))) ++exec_generation_;
        if ((flags & kMapped) != (next[i] & kMapped))
            mapped_pages_ += (next[i] & kMapped) ? 1 : -1;
        if ((flags & kBuffer) != (next[i] & kBuffer)) buffer_pages_ += (next[i] & kBuffer) ? 1 : -1;
        if ((flags & kCopyPending) != (next[i] & kCopyPending)) pending_pages_ += (next[i] & kCopyPending) ? 1 : -1;
        if (held_[first + i] && (contents_replaced || !common(next[i]))) {
            held_[first + i] = false;
            --held_pages_;
        }
        // Contents change only through a host-writable page, or a new one.
        const bool may_change = contents_replaced || (host_prot_of(next[i]) & PROT_WRITE);
        flags = may_change ? PageFlags(next[i] & ~kAsRestored) : next[i];
    }
    host_mappings_ = mappings;
    host_mappings_peak_ = std::max(host_mappings_peak_, mappings);
}

void GuestMemory::exceed(uint64_t wanted) const {
    if (!breach_) breach_ = LimitExceeded{Limit::HostMappings, std::max<uint64_t>(wanted, max_host_mappings_),
                                          max_host_mappings_};
}

bool GuestMemory::protect_host(uint64_t first, const std::vector<PageFlags>& next) const {
    // Only pages whose host protection changes, a run of the same new one at
    // a time; on a refusal the runs done so far get their old one back.
    auto apply = [&](uint64_t from, uint64_t to, bool forward) {
        for (uint64_t p = from; p < to;) {
            const PageFlags old = perms_[first + p];
            if (host_prot_of(next[p]) == host_prot_of(old)) {
                ++p;
                continue;
            }
            const int prot = forward ? host_prot_of(next[p]) : host_prot_of(old);
            uint64_t q = p + 1;
            while (q < to && host_prot_of(next[q]) != host_prot_of(perms_[first + q]) &&
                   (forward ? host_prot_of(next[q]) : host_prot_of(perms_[first + q])) == prot)
                ++q;
            if (mprotect(base_ + (first + p) * kPageSize, (q - p) * kPageSize, prot) != 0) return p;
            p = q;
        }
        return to;
    };
    const uint64_t done = apply(0, next.size(), true);
    if (done == next.size()) return true;
    // Linux may have changed part of the failed run too: all of it goes back.
    uint64_t failed_end = done + 1;
    while (failed_end < next.size() && host_prot_of(next[failed_end]) == host_prot_of(next[done])) ++failed_end;
    if (apply(0, failed_end, false) != failed_end) {
        host_state_lost_ = true;  // neither new nor old: the guest must not go on
        exceed(host_mappings_);
    }
    return false;
}

bool GuestMemory::replace_host(uint32_t addr, uint32_t length, int prot, int flags) const {
    if (length == 0) return true;
    if (mmap(base_ + addr, length, prot, flags | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED) return true;
    refill_holes(addr, length);
    return false;
}

// After a refused MAP_FIXED mmap or mremap: Linux may have unmapped part of
// the range before it gave up. A hole in the reservation would let host
// mappings land where guest code can reach, so each is covered again; pages
// the guest had mapped there lost their contents, and the host's state is no
// longer what perms_ says.
void GuestMemory::refill_holes(uint32_t addr, uint32_t length) const {
    for (uint64_t at = addr; at < uint64_t(addr) + length; at += kPageSize) {
        void* page = base_ + at;
        void* got = mmap(page, kPageSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
                         -1, 0);
        if (got == MAP_FAILED && errno == EEXIST) continue;  // still mapped
        if (got != page) host_state_lost_ = true;             // a hole that stays (or a kernel that ignores the flag)
        if (got != MAP_FAILED && got != page) munmap(got, kPageSize);
        if (got == page && (perms_[at / kPageSize] & kMapped)) host_state_lost_ = true;
    }
    if (host_state_lost_) exceed(host_mappings_);
}

bool GuestMemory::map(uint32_t addr, uint32_t length, Perm perms, bool shared) {
    check_range(addr, length, "map");
    // Fresh zero pages, as Linux gives a new mapping. A shared one is a host
    // file of its own.
    return map_new(addr, length, PageFlags(perms | (shared ? kShared : 0)),
                   [&] { return replace_host(addr, length, host_prot(perms), shared ? MAP_SHARED : MAP_PRIVATE); });
}

bool GuestMemory::map_buffer(uint32_t addr, const SharedBuffer& buffer, Perm perms) {
    if (perms != kRead && perms != (kRead | kWrite))
        throw Error("a shared buffer is mapped readable, or readable and writable (never executable)");
    if (buffer.size() > size_) throw Error("the shared buffer is larger than guest memory");
    const uint32_t length = uint32_t(buffer.size());
    check_range(addr, length, "map_buffer");
    for (uint64_t p = addr / kPageSize; p < (uint64_t(addr) + length) / kPageSize; ++p)
        if (perms_[p] & kMapped) throw Error("map_buffer: guest memory is mapped at " + std::to_string(p * kPageSize));
    if (addr < grow_low_ && addr + length > grow_floor_)
        throw Error("map_buffer: the range overlaps the stack's grow-down region");
    const PageFlags kind = PageFlags(perms | kShared | kBuffer | ((perms & kWrite) ? 0 : kBufferReadOnly));
    if (!map_new(addr, length, kind, [&] {
            if (mmap(base_ + addr, length, host_prot(perms), MAP_SHARED | MAP_FIXED, buffer.fd_, 0) != MAP_FAILED)
                return true;
            refill_holes(addr, length);
            return false;
        }))
        return false;
    // The host's memory, which it counts itself: held, as pages in common are.
    for (uint64_t p = addr / kPageSize; p < (uint64_t(addr) + length) / kPageSize; ++p) held_[p] = true;
    held_pages_ += length / kPageSize;
    return true;
}

bool GuestMemory::map_new(uint32_t addr, uint32_t length, PageFlags kind, const std::function<bool()>& map_host) {
    if (!release_copies_in(addr, length, true)) return false;
    const uint64_t first = addr / kPageSize, end = first + length / kPageSize;
    const bool shared = kind & kShared;
    // The host never merges a shared mapping with its neighbours.
    std::vector<PageFlags> next(end - first, PageFlags(kind | kMapped));
    // A new private mapping merges with the one before it, but with the one
    // after it as well only when Linux finds the two alike in what it does
    // not show (their anonymous memory's origin): counted apart.
    const bool mapped_after = end < perms_.size() && (perms_[end] & kMapped);
    const bool mapped_before = first > 0 && (perms_[first - 1] & kMapped);
    if (shared && !next.empty()) next.front() |= kMappingStart;
    if (!next.empty() && mapped_after && (shared || mapped_before)) next.push_back(perms_[end] | kMappingStart);
    const uint64_t mappings = mappings_with(first, next);
    if (mappings > max_host_mappings_ && mappings > host_mappings_) return false;
    if (!map_host()) return false;
    commit(first, next, uint32_t(mappings), length / kPageSize);
    return true;
}

bool GuestMemory::protect(uint32_t addr, uint32_t length, Perm perms) {
    check_range(addr, length, "protect");
    if (!release_copies_in(addr, length, false)) return false;
    const uint64_t first = addr / kPageSize;
    std::vector<PageFlags> next(length / kPageSize);
    bool loses_write = false;
    for (uint64_t i = 0; i < next.size(); ++i) {
        const PageFlags old = perms_[first + i];
        if (!(old & kMapped)) {
            next[i] = old;  // nothing there to protect
            continue;
        }
        // A shared buffer is never code, and never writable when mapped read-only.
        if ((old & kBuffer) && ((perms & kExec) || ((perms & kWrite) && (old & kBufferReadOnly)))) return false;
        // Code that stays executable stays translated, so a guest write to it
        // must still fault.
        const bool still_code = (old & kCodeProtected) && (perms & kExec);
        // Private pages made writable are all accounted by Linux again.
        const PageFlags kept = (perms & kWrite) && !(old & kShared) ? kAccountingEdge : 0;
        next[i] = PageFlags((old & (kMapped | kShared | kImage | kBuffer | kBufferReadOnly | kMappingStart | kAccountingEdge) &
                             ~kept) |
                            perms |
                          (still_code ? kCodeProtected : 0));
        loses_write |= (old & kWrite) && !(perms & kWrite);
    }
    // Pages that stop being writable keep (or, never written, lose) Linux's
    // accounting of them, which it does not merge across: counted apart from
    // their neighbours. (Marks, not counts: protecting the same range again
    // adds nothing.)
    if (loses_write) {
        next.front() |= kAccountingEdge;
        const uint64_t end = first + next.size();
        if (end < perms_.size() && (perms_[end] & kMapped)) next.push_back(perms_[end] | kAccountingEdge);
    }
    const uint64_t mappings = mappings_with(first, next);
    if (mappings > max_host_mappings_ && mappings > host_mappings_) return false;
    if (!protect_host(first, next)) return false;
    commit(first, next, uint32_t(mappings), 0);
    return true;
}

bool GuestMemory::unmap(uint32_t addr, uint32_t length) {
    check_range(addr, length, "unmap");
    if (!release_copies_in(addr, length, true)) return false;
    const uint64_t first = addr / kPageSize;
    std::vector<PageFlags> next(length / kPageSize, kNone);
    const uint64_t mappings = mappings_with(first, next);
    if (mappings > max_host_mappings_ && mappings > host_mappings_) return false;
    if (!replace_host(addr, length, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE)) return false;
    commit(first, next, uint32_t(mappings), next.size());
    return true;
}

bool GuestMemory::move(uint32_t from, uint32_t old_length, uint32_t to, uint32_t new_length) {
    check_range(from, old_length, "move");
    check_range(to, new_length, "move");
    if (uint64_t(from) < uint64_t(to) + new_length && uint64_t(to) < uint64_t(from) + old_length) return false;
    if (old_length == 0 || new_length == 0) return false;
    const PageFlags kKind = PageFlags(kRead) | PageFlags(kWrite) | PageFlags(kExec) | kMapped | kShared | kImage | kBuffer;
    const PageFlags kind = perms_[from / kPageSize] & kKind;
    // A buffer's pages stay where the host mapped them: moved and grown,
    // they would reach past its file (and the host may move several
    // mappings at once: every page is looked at, below).
    if (kind & kBuffer) return false;
    for (uint32_t p = from / kPageSize; p < (from + old_length) / kPageSize; ++p)
        if ((perms_[p] & kKind) != kind) return false;
    // The host mapping moves with its protection: writable first, where it will be.
    if (!release_copies_in(from, old_length, false) || !release_copies_in(to, new_length, true)) return false;
    if (!release_code_in(from, old_length)) return false;
    // The moved mapping keeps what Linux tells mappings apart by: it merges
    // with no neighbour there.
    const uint64_t from_page = from / kPageSize, to_page = to / kPageSize, to_end = to_page + new_length / kPageSize;
    const std::vector<PageFlags> vacated(old_length / kPageSize, kNone);
    // Counted as if vacated first (perms_ and the count put back after).
    const uint32_t before = host_mappings_;
    const std::vector<PageFlags> saved(perms_.begin() + from_page, perms_.begin() + from_page + vacated.size());
    const uint32_t after_vacating = uint32_t(mappings_with(from_page, vacated));
    host_mappings_ = after_vacating;
    std::copy(vacated.begin(), vacated.end(), perms_.begin() + from_page);
    std::vector<PageFlags> moved(new_length / kPageSize, kind);
    moved.front() |= kMappingStart;
    if (to_end < perms_.size() && (perms_[to_end] & kMapped)) moved.push_back(perms_[to_end] | kMappingStart);
    const uint64_t mappings = mappings_with(to_page, moved);
    std::copy(saved.begin(), saved.end(), perms_.begin() + from_page);
    host_mappings_ = before;
    if (mappings > max_host_mappings_ && mappings > host_mappings_) return false;
    if (mremap(base_ + from, old_length, new_length, MREMAP_MAYMOVE | MREMAP_FIXED, base_ + to) == MAP_FAILED) {
        refill_holes(to, new_length);  // Linux unmaps the target first
        return false;
    }
    commit(from_page, vacated, after_vacating, vacated.size());
    commit(to_page, moved, uint32_t(mappings), new_length / kPageSize);
    // The host left a hole there: the reservation covers it again.
    if (!replace_host(from, old_length, PROT_NONE, MAP_PRIVATE | MAP_NORESERVE)) {
        host_state_lost_ = true;
        exceed(mappings);
    }
    return true;
}

uint64_t GuestMemory::common_bytes() const {
    uint64_t pages = 0;
    for (size_t p = 0; p < perms_.size(); ++p) pages += common(perms_[p]) && !held_[p];
    return pages * kPageSize;
}

uint64_t GuestMemory::hold_common_pages() {
    uint64_t pages = 0;
    for (size_t p = 0; p < perms_.size(); ++p)
        if (common(perms_[p]) && !held_[p]) {
            held_[p] = true;
            touch(p, p + 1);
            ++pages;
        }
    held_pages_ += uint32_t(pages);
    return pages * kPageSize;
}

uint64_t GuestMemory::bytes_in(uint32_t addr, uint64_t length, const std::function<bool(uint64_t page)>& counted) const {
    uint64_t pages = 0;
    const uint64_t end = std::min<uint64_t>(perms_.size(), (uint64_t(addr) + length + kPageSize - 1) / kPageSize);
    for (uint64_t p = addr / kPageSize; p < end; ++p) pages += counted(p);
    return pages * kPageSize;
}

uint64_t GuestMemory::held_bytes(uint32_t addr, uint64_t length, bool private_only) const {
    return bytes_in(addr, length, [&](uint64_t p) { return held_[p] && !(private_only && (perms_[p] & kShared)); });
}

Perm GuestMemory::perms_at(uint32_t addr) const {
    return addr < size_ ? Perm(perms_[addr / kPageSize] & (kRead | kWrite | kExec)) : kNone;
}

bool GuestMemory::accessible(uint32_t addr, uint64_t length, Perm needed) const {
    if (host_state_lost_) return false;
    if (addr > size_ || length > size_ - addr) return false;  // no sum that could wrap
    if (length == 0) return true;
    // The host touches the stack's region as the guest would: it grows (a
    // read() into a large buffer on the stack, a signal frame below esp).
    if (addr < grow_low_ && addr + length > grow_floor_ &&
        grow_down_to(std::max(addr, grow_floor_)) == Growth::Refused)
        return false;
    for (uint64_t p = addr / kPageSize; p <= (addr + length - 1) / kPageSize; ++p)
        if ((perms_[p] & needed) != needed) return false;
    if (needed & kWrite) return release_copies_in(addr, length, false) && release_code_in(addr, length);
    return true;
}

void GuestMemory::set_grow_down(uint32_t floor, uint32_t low) {
    if (floor > low || floor % kPageSize || low % kPageSize || low > size_)
        throw Error("grow-down region " + std::to_string(floor) + ".." + std::to_string(low) +
                    " is not page-aligned inside guest memory");
    grow_floor_ = floor;
    grow_low_ = low;
}

GuestMemory::Growth GuestMemory::grow_down_to(uint32_t addr) const {
    if (addr < grow_floor_ || addr >= grow_low_) return Growth::None;
    const uint32_t page = addr & ~(kPageSize - 1);
    for (uint32_t p = page; p < grow_low_; p += kPageSize)
        if (mapped(p)) return Growth::None;
    const uint32_t lowest = std::max(grow_floor_, page & ~(kGrowGranule - 1));
    uint32_t bottom = page;
    while (bottom > lowest && !mapped(bottom - kPageSize)) bottom -= kPageSize;
    const uint32_t length = grow_low_ - bottom;
    if (!admit(length)) return Growth::Refused;
    // Below the stack's lowest mapped page: the new pages extend its host
    // mapping (no new one). A refusal of the host mappings limit or of the
    // host is a fault for the guest, as Linux's failure to expand a stack.
    // (No GuestMemory is const itself: accessible() is const for its callers.)
    if (!const_cast<GuestMemory*>(this)->map(bottom, length, kRead | kWrite)) return Growth::None;
    grow_low_ = bottom;
    return Growth::Grown;
}

bool GuestMemory::release_code_in(uint32_t addr, uint64_t length) const {
    if (length == 0) return true;
    for (uint64_t p = addr / kPageSize; p <= (addr + length - 1) / kPageSize; ++p)
        if (perms_[p] & kCodeProtected) {
            if (!release_code_run(uint32_t(p))) return false;
            ++exec_generation_;  // the host writes there: what was translated from it goes
        }
    return true;
}

// The page, and the protected writable pages next to it: the host keeps them
// in one read-only mapping, which becomes writable whole (no split, so the
// host has no reason to refuse). Their translations all go anyway.
bool GuestMemory::release_code_run(uint32_t page) const {
    if (!(perms_[page] & kCodeProtected)) return true;
    code_released_ = true;
    if (!(perms_[page] & kWrite)) {  // read-only for the host anyway
        perms_[page] &= PageFlags(~kCodeProtected);
        touch(page, page + 1);
        return true;
    }
    auto in_run = [&](uint64_t p) {
        return (perms_[p] & kCodeProtected) && (perms_[p] & kWrite) &&
               (perms_[p] & (kShared | kImage)) == (perms_[page] & (kShared | kImage));
    };
    uint64_t first = page, end = uint64_t(page) + 1;
    while (first > 0 && in_run(first - 1) && !(perms_[first] & kMappingStart)) --first;
    while (end < perms_.size() && in_run(end) && !(perms_[end] & kMappingStart)) ++end;
    std::vector<PageFlags> next(perms_.begin() + first, perms_.begin() + end);
    for (PageFlags& flags : next) flags &= PageFlags(~kCodeProtected);
    return change_for_engine(first, next);
}

bool GuestMemory::protect_code(uint32_t addr) {
    if (addr >= size_) return true;
    const uint64_t page = addr / kPageSize;
    if (perms_[page] & kCodeProtected) return true;
    // A page the guest cannot write is read-only for the host already; it is
    // marked all the same, for the day the guest makes it writable.
    return change_for_engine(page, {PageFlags(perms_[page] | kCodeProtected)});
}

// A change the engine needs (it may use the reserve beyond the guest's limit):
// when the host mappings or the host refuse it, the run stops with the limit.
bool GuestMemory::change_for_engine(uint64_t first, const std::vector<PageFlags>& next) const {
    const uint64_t mappings = mappings_with(first, next);
    if ((mappings > max_host_mappings_ + kHostReserve && mappings > host_mappings_) || !protect_host(first, next)) {
        exceed(mappings);
        return false;
    }
    commit(first, next, uint32_t(mappings), 0);
    return true;
}

bool GuestMemory::release_code(uint32_t addr) {
    if (copy_pending(addr) && !release_copy(addr)) return false;
    return addr >= size_ || release_code_run(addr / kPageSize);
}

std::vector<uint32_t> GuestMemory::mark_copy_pending(uint16_t tag) {
    auto eligible = [&](uint64_t p) {
        const PageFlags flags = perms_[p];
        return (flags & kMapped) && (flags & kWrite) && !(flags & (kShared | kCopyPending)) && !held_[p];
    };
    uint64_t first = 0, end = perms_.size();
    while (first < end && !eligible(first)) ++first;
    while (end > first && !eligible(end - 1)) --end;
    if (first == end) return {};
    std::vector<PageFlags> next(perms_.begin() + first, perms_.begin() + end);
    for (uint64_t p = first; p < end; ++p)
        if (eligible(p)) next[p - first] |= kCopyPending;
    // Not needed to run on: past the host mappings, or refused, it is not done.
    const uint64_t mappings = mappings_with(first, next);
    if (mappings > max_host_mappings_ + kHostReserve && mappings > host_mappings_) return {};
    if (!protect_host(first, next)) return {};
    std::vector<uint32_t> per_run((perms_.size() + kCopyRunPages - 1) / kCopyRunPages);
    for (uint64_t p = first; p < end; ++p)
        if (eligible(p) && (next[p - first] & kCopyPending)) {
            if (copy_tag_.empty()) copy_tag_.assign(perms_.size(), kNoRecord);
            copy_tag_[p] = tag;
            touch(p, p + 1);
            ++per_run[p / kCopyRunPages];
        }
    commit(first, next, uint32_t(mappings), 0);
    return per_run;
}

bool GuestMemory::release_copy(uint32_t addr) {
    return addr >= size_ || release_copy_run(addr / kCopyRun, 0, 0);
}

bool GuestMemory::release_copies_in(uint32_t addr, uint64_t length, bool replaced) const {
    if (!pending_pages_ || length == 0) return true;
    const uint64_t first_page = addr / kPageSize, end_page = (uint64_t(addr) + length + kPageSize - 1) / kPageSize;
    for (uint64_t run = first_page / kCopyRunPages; run <= (end_page - 1) / kCopyRunPages; ++run)
        if (!release_copy_run(run, replaced ? first_page : 0, replaced ? end_page : 0)) return false;
    return true;
}

bool GuestMemory::release_copy_run(uint64_t run, uint64_t replaced_first, uint64_t replaced_end) const {
    const uint64_t first = run * kCopyRunPages, end = std::min<uint64_t>(first + kCopyRunPages, perms_.size());
    std::vector<uint16_t> tags;
    uint64_t staying = 0;
    for (uint64_t p = first; p < end; ++p) {
        if (!(perms_[p] & kCopyPending)) continue;
        if (std::find(tags.begin(), tags.end(), copy_tag(p)) == tags.end()) tags.push_back(copy_tag(p));
        staying += p < replaced_first || p >= replaced_end;
    }
    if (tags.empty()) return true;
    if (staying && admit_ && !admit_(staying * kPageSize)) return false;
    std::vector<PageFlags> next(perms_.begin() + first, perms_.begin() + end);
    // Pages pending since a restore keep the image's mapping, written or
    // not: kReleased says so (a restore of that image may copy them back).
    for (PageFlags& flags : next)
        if (flags & kCopyPending)
            flags = PageFlags(flags & ~kCopyPending) | ((flags & kAsRestored) ? kReleased : 0);
    if (!change_for_engine(first, next)) return false;
    if (copy_released_)
        for (uint16_t tag : tags)
            if (tag != kNoRecord) copy_released_(tag, uint32_t(run));
    return true;
}

std::vector<std::pair<uint16_t, uint32_t>> GuestMemory::pending_copies() const {
    std::vector<std::pair<uint16_t, uint32_t>> pairs;
    if (copy_tag_.empty()) return pairs;  // none marked: every page pending is for no record
    for (uint64_t p = 0; pending_pages_ && p < perms_.size(); ++p)
        if ((perms_[p] & kCopyPending) && copy_tag(p) != kNoRecord) {
            std::pair<uint16_t, uint32_t> pair{copy_tag(p), uint32_t(p / kCopyRunPages)};
            if (std::find(pairs.begin(), pairs.end(), pair) == pairs.end()) pairs.push_back(pair);
        }
    return pairs;
}

void GuestMemory::forget_copies() {
    for (const auto& [tag, run] : pending_copies())
        if (copy_released_) copy_released_(tag, run);
    // The pages stay pending, for no record: a write still makes them
    // writable (and admits them) first, and nobody is told.
    for (uint64_t p = 0; p < perms_.size(); ++p)
        if ((perms_[p] & kCopyPending) && !copy_tag_.empty()) copy_tag_[p] = kNoRecord;
}

uint64_t GuestMemory::buffer_bytes(uint32_t addr, uint64_t length) const {
    return bytes_in(addr, length, [&](uint64_t p) { return (perms_[p] & kBuffer) != 0; });
}

uint64_t GuestMemory::pending_bytes(uint32_t addr, uint64_t length) const {
    return bytes_in(addr, length, [&](uint64_t p) { return (perms_[p] & kCopyPending) != 0; });
}

bool GuestMemory::read(uint32_t addr, void* dst, size_t length) const {
    if (!accessible(addr, length, kRead)) return false;
    if (length) std::memcpy(dst, base_ + addr, length);  // an empty buffer may be null
    return true;
}

bool GuestMemory::write(uint32_t addr, const void* src, size_t length) {
    if (!accessible(addr, length, kWrite)) return false;
    if (length) std::memcpy(base_ + addr, src, length);  // an empty buffer may be null
    if (length && touches_exec(addr, length)) ++exec_generation_;  // translations may be stale
    return true;
}

bool GuestMemory::touches_exec(uint32_t addr, size_t length) const {
    for (uint64_t p = addr / kPageSize; p <= (addr + length - 1) / kPageSize; ++p)
        if (perms_[p] & kExec) return true;
    return false;
}

}  // namespace vx
