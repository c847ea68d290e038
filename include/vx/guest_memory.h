#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "vx/error.h"
#include "vx/limits.h"

namespace vx {

enum Perm : uint8_t { kNone = 0, kRead = 1, kWrite = 2, kExec = 4 };
inline Perm operator|(Perm a, Perm b) { return Perm(uint8_t(a) | uint8_t(b)); }

inline constexpr uint32_t kPageSize = 4096;
// The lowest guest address a program is loaded at or maps: below it, a null
// pointer's neighbourhood stays unmapped (as Linux's vm.mmap_min_addr).
inline constexpr uint32_t kLowestGuestMapping = 0x10000;
inline constexpr uint64_t kMaxGuestMemory = 3ull << 30;
// Host address space reserved per guest: 4 GiB and a 64 KiB guard above it.
inline constexpr uint64_t kReservation = (1ull << 32) + (64u << 10);

class SharedBuffer;
struct MemoryImage;  // a copy-on-write image of guest memory (src/core/memory_image.h)

// The guest's address space: guest addresses 0 .. size()-1 at host_base(), in a
// reservation that covers every 32-bit address (the engine confines guest
// accesses to it). Guest page
// permissions are tracked here; the host-side accessors check them, so no guest
// pointer ever becomes a host access outside the region.
class GuestMemory {
public:
    // `max_host_mappings` bounds the host mappings (VMAs) the guest's pages
    // make (see host_mappings()).
    explicit GuestMemory(uint64_t size, uint32_t max_host_mappings = EngineLimits{}.host_mappings);
    ~GuestMemory();
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;

    uint32_t size() const { return size_; }
    uint8_t* host_base() const { return base_; }

    // Page-aligned ranges inside the guest; throw vx::Error otherwise.
    // `shared` pages stay shared with the copies of this memory that a host
    // fork makes (Sandbox::fork_host_process), as MAP_SHARED memory is.
    // False, and nothing changed, when the change would take the guest past
    // its host mappings, or the host refused it (ENOMEM for the guest, as
    // Linux says at its map count).
    bool map(uint32_t addr, uint32_t length, Perm perms, bool shared = false);
    // Maps `buffer` whole at `addr` (docs/plugins.md, "Shared buffers"): the
    // guest reads (kRead) or reads and writes (kRead | kWrite) the host's
    // pages themselves; a guest's write to a buffer mapped read-only is a
    // fault, and neither protect() nor move() gives it more (false). Its
    // pages count against no memory limit here (held, as common pages
    // are), stay shared across a host fork, and are unmapped as any others
    // (a restore unmaps them; capture() refuses while they are mapped).
    // Throws vx::Error for other perms, a range not page-aligned inside
    // guest memory, or one where a page is mapped or the stack may grow;
    // false as map.
    bool map_buffer(uint32_t addr, const SharedBuffer& buffer, Perm perms);
    // Bytes of shared buffers' pages mapped, in all or in [addr, addr+length).
    uint64_t buffer_bytes() const { return uint64_t(buffer_pages_) * kPageSize; }
    uint64_t buffer_bytes(uint32_t addr, uint64_t length) const;
    bool protect(uint32_t addr, uint32_t length, Perm perms);
    bool unmap(uint32_t addr, uint32_t length);
    // Moves the pages of [from, from+old_length) to `to`, contents and
    // permissions kept, growing the range to new_length with zero pages of
    // the same permissions (as mremap); the old range ends unmapped. False,
    // and nothing changed, when the old range is not one uniform mapping,
    // the two ranges overlap, or as map.
    bool move(uint32_t from, uint32_t old_length, uint32_t to, uint32_t new_length);

    Perm perms_at(uint32_t addr) const;
    // Whether the page holding `addr` is mapped, even if with no permission.
    bool mapped(uint32_t addr) const { return addr < size_ && (perms_[addr / kPageSize] & kMapped); }
    // Bytes of guest pages mapped (with any permissions): what the host may
    // have to back with memory.
    uint64_t mapped_bytes() const { return uint64_t(mapped_pages_) * kPageSize; }

    // Pages held in common with copies a host fork made: mapped shared, or
    // that the guest cannot write, they are one host copy whoever holds them
    // (no copy-on-write ever duplicates them). hold_common_pages() marks the
    // ones mapped now and returns their bytes (common_bytes() says how many
    // it would mark); whoever shares the memory limit with the copies counts
    // them once. A held page stops being held when it is replaced,
    // unmapped, moved, or made writable while private.
    uint64_t common_bytes() const;
    uint64_t hold_common_pages();
    // Held bytes in [addr, addr+length): all of them, or only the private
    // ones (those protect() makes the sandbox's own if it adds write).
    uint64_t held_bytes(uint32_t addr, uint64_t length, bool private_only) const;
    // Bytes of the pages mapped, neither held in common nor pending a copy:
    // what this copy of the memory costs the host on its own.
    uint64_t own_bytes() const { return uint64_t(mapped_pages_ - held_pages_ - pending_pages_) * kPageSize; }

    // Copy-on-write, tracked: after a host fork, this copy's own private
    // writable pages still share their host pages with the other copy until
    // one of them writes. mark_copy_pending(tag) marks them pending (tagged,
    // and read-only for the host) and returns how many it marked in each run
    // of kCopyRun bytes; none (an empty vector) when the host mappings would
    // not allow it. The first write into a run, by the guest (the engine's
    // fault: release_copy) or by the host (accessible with kWrite), and any
    // change to its pages, makes the run's pending pages this copy's own
    // again: their bytes are admitted first (set_admission; refused: the
    // write does not happen), the host may write them, and the copy release
    // is told each tag it no longer shares there (set_copy_release).
    static constexpr uint32_t kCopyRun = 256u << 10;
    std::vector<uint32_t> mark_copy_pending(uint16_t tag);
    bool copy_pending(uint32_t addr) const { return addr < size_ && (perms_[addr / kPageSize] & kCopyPending); }
    bool release_copy(uint32_t addr);
    // The (tag, run) pairs this copy still shares (the other copy inherits
    // them at the next fork).
    std::vector<std::pair<uint16_t, uint32_t>> pending_copies() const;
    // The copy ends (its process exits): each pair it shares is let go of
    // (its pending pages are pending for no tag: a write still admits them).
    void forget_copies();
    static constexpr uint16_t kNoRecord = 0xffff;  // not a tag mark_copy_pending takes
    // Bytes of pending pages in [addr, addr+length).
    uint64_t pending_bytes(uint32_t addr, uint64_t length) const;
    // Whether `bytes` more of this copy's own stay within its memory limit
    // (none set: always); what a copy release pays with.
    void set_admission(std::function<bool(uint64_t bytes)> admit) { admit_ = std::move(admit); }
    // Asks it: also how the engine says what it takes for itself between
    // calls (its translations), with 0 when it has taken them already.
    bool admit(uint64_t bytes) const { return !admit_ || admit_(bytes); }
    void set_copy_release(std::function<void(uint16_t tag, uint32_t run)> released) {
        copy_released_ = std::move(released);
    }
    // True when every byte of [addr, addr+length) is in the guest and has
    // `needed`. Asking for kWrite is how the host prepares to write there
    // itself: pages write-protected for translations become writable again
    // (and exec_generation changes, so their translations go); false when
    // one could not be (see host_mapping_breach).
    bool accessible(uint32_t addr, uint64_t length, Perm needed) const;

    // Translated code: the engine write-protects a page it translated code
    // from (also when the guest makes it writable later), so that a guest
    // write to it faults (and the translations go) instead of running stale
    // code. release_code makes it writable again (with the protected pages
    // next to it, which share its host mapping: no mapping is split). Both
    // are false when the host mappings would not allow it or the host
    // refused; host_mapping_breach() then says so, and the guest must not run
    // on (stale code could run, or its write fault again).
    bool protect_code(uint32_t addr);
    bool release_code(uint32_t addr);
    bool code_protected(uint32_t addr) const {
        return addr < size_ && (perms_[addr / kPageSize] & kCodeProtected);
    }

    // Host mappings the guest's pages make now: one for each run of pages
    // with the same host protection and kind, and one more for each edge the
    // host may not merge (shared mappings, moved ones, a mapping between two
    // others, pages that stopped being writable). Close to Linux's count,
    // not equal; whatever the host refuses beyond is handled as a refusal
    // of the limit.
    uint32_t host_mappings() const { return host_mappings_; }
    uint32_t host_mappings_peak() const { return host_mappings_peak_; }
    // The peak counts again from now (for a new sandbox made of this memory).
    void restart_host_mappings_peak() { host_mappings_peak_ = host_mappings_; }
    uint32_t max_host_mappings() const { return max_host_mappings_; }
    // Set once a change the engine or the host needed could not be made:
    // the host mappings limit, reached. The guest must stop.
    const std::optional<LimitExceeded>& host_mapping_breach() const { return breach_; }

    // Host-side copies; false (and nothing copied) unless the whole range is
    // accessible with read (resp. write) permission.
    bool read(uint32_t addr, void* dst, size_t length) const;
    bool write(uint32_t addr, const void* src, size_t length);

    // The stack's grow-down region, as Linux's stack VMA: [floor, low) is
    // kept for it and left unmapped. An access there, by the guest (a fault
    // the sandbox hands to grow_down_to) or by the host (accessible, read,
    // write), maps read-write the pages from the accessed one (rounded down
    // to kGrowGranule, stopping at floor and above any mapped page) up to
    // `low`, which moves down to them. Nothing grows when a page between the
    // access and `low` is mapped (a guest mapping there stops the stack, as
    // on Linux). floor == low: no region. Page-aligned; throws vx::Error
    // otherwise.
    static constexpr uint32_t kGrowGranule = 64u << 10;  // fewer faults for a stack that grows fast
    void set_grow_down(uint32_t floor, uint32_t low);
    uint32_t grow_down_floor() const { return grow_floor_; }
    uint32_t grow_down_low() const { return grow_low_; }
    // A growth's bytes are admitted (set_admission) before they are mapped.
    enum class Growth {
        None,     // `addr` is not in the region, or the stack may not grow there: a plain fault
        Grown,    // the page holding `addr` is mapped now
        Refused,  // the admission said no: nothing mapped
    };
    // Grows the stack down to the page holding `addr`, as described above.
    // (const, as accessible is: the host's accessors grow it too.)
    Growth grow_down_to(uint32_t addr) const;

    // Counts changes that may make translations stale: execute permission
    // removed, executable pages unmapped or written by the host, the whole
    // memory restored. (Writes by the guest itself are not seen here.)
    uint64_t exec_generation() const { return exec_generation_; }

    // Copy-on-write images, for snapshots (see docs/snapshots.md). capture()
    // copies the mapped pages' contents into a sealed host file, with their
    // permissions and the grow-down region; throws vx::Error when the host
    // refuses. restore() makes this memory the image's: its private pages
    // are mappings of that file, the guest's writable ones pending a copy
    // (mark_copy_pending, for no record), the others held in common
    // (hold_common_pages); its shared ones are a new shared copy of their
    // own. check_restore throws vx::Error, and nothing changes, for an image
    // of another size or one that would make more host mappings than this
    // memory may; restore checks the same. When the host refuses a mapping
    // on the way, restore returns false and the memory is left empty, with
    // the host mappings limit reached (host_mapping_breach), until a restore
    // succeeds.
    std::shared_ptr<const MemoryImage> capture() const;
    void check_restore(const MemoryImage& image) const;
    // Restoring the image restored last, runs the guest wrote may be put
    // back by copying (see keep_written_runs) unless `keep_written` is false.
    bool restore(const MemoryImage& image, bool keep_written = true);
    // After a restore: whether every page code was translated from
    // (protect_code) holds the contents and permissions it had when it was
    // protected. So it is when the image restored is the one restored last
    // and none of those pages changed since: then they stay protected, and
    // what the engine translated from them may stay too.
    bool code_unchanged() const { return code_unchanged_; }

private:
    void check_range(uint32_t addr, uint32_t length, const char* what) const;
    bool touches_exec(uint32_t addr, size_t length) const;

    using PageFlags = uint16_t;
    static constexpr PageFlags kMapped = 8;  // beside the Perm bits of perms_
    static constexpr PageFlags kCodeProtected = 16;
    static constexpr PageFlags kShared = 32;
    static constexpr PageFlags kMappingStart = 64;  // a host mapping starts here, whatever its neighbour
    static constexpr PageFlags kAccountingEdge = 128;  // as kMappingStart, until the page is writable again
    static constexpr PageFlags kCopyPending = 256;  // see mark_copy_pending; tag in copy_tag_
    static constexpr PageFlags kImage = 512;  // private, mapped from an image's file (restore): a kind of its own
    static constexpr PageFlags kAsRestored = 1024;  // private, as restored: never host-writable or replaced since
    // Private, restored and pending, then made host-writable by a write to
    // its run (release_copy_run), never replaced or protected since: the
    // image's host mapping still, whatever was written into it.
    static constexpr PageFlags kReleased = 2048;
    static constexpr PageFlags kBuffer = 4096;          // a SharedBuffer's page (with kShared)
    static constexpr PageFlags kBufferReadOnly = 8192;  // ... that the guest may never write
    static constexpr uint32_t kCopyRunPages = kCopyRun / kPageSize;
    // Releases the runs touching [addr, addr+length): pages that stay mapped
    // become own (admitted, writable for the host); with `replaced`, those
    // in the range are about to be replaced or unmapped, and only lose the mark.
    bool release_copies_in(uint32_t addr, uint64_t length, bool replaced) const;
    bool release_copy_run(uint64_t run, uint64_t replaced_first, uint64_t replaced_end) const;
    // Bytes of the pages in [addr, addr+length) that `counted` picks.
    uint64_t bytes_in(uint32_t addr, uint64_t length, const std::function<bool(uint64_t page)>& counted) const;
    static bool common(PageFlags flags) { return (flags & kMapped) && ((flags & kShared) || !(flags & kWrite)); }
    // Beyond the guest's own limit, for what the engine and the host need
    // (protecting translated code, writing into it): they fail later than
    // the guest's requests do.
    static constexpr uint32_t kHostReserve = 64;
    static int host_prot_of(PageFlags flags);
    static PageFlags host_key(PageFlags flags);
    // Whether the host keeps page `here` in another mapping than the page
    // `before` it.
    static bool starts_mapping(PageFlags here, PageFlags before);
    // Leaves [0, size) empty (after a refused restore).
    void empty_after_refusal();
    // The runs of kCopyRun bytes whose pages' flags, held marks or copy tags
    // changed since the last restore (touched_runs_): a restore of the same
    // image copies only those from it.
    void touch(uint64_t first_page, uint64_t end_page) const;
    bool touched(uint64_t run) const { return touched_runs_[run / 64] >> (run % 64) & 1; }
    // The first touched run at or after `run` (none: past the last run).
    uint64_t next_touched(uint64_t run) const;
    // Restoring the image restored last: the copy runs whose pages the guest
    // (or the host) wrote since, and whose mappings are still the image's,
    // put back by copying the snapshot's contents into the pages written
    // (found in /proc/self/pagemap) instead of mapping the run anew: no
    // host mapping changes, and the pages stay the sandbox's own. At most
    // kMaxPagesCopied pages are copied, in at most kMaxRunsKept runs (each
    // counts whole as the sandbox's own, as after the write); the runs kept
    // are returned, in order.
    static constexpr uint32_t kMaxPagesCopied = 64, kMaxRunsKept = 4;
    std::vector<uint32_t> keep_written_runs(const MemoryImage& image);
    // Whether restoring `image` now leaves every code-protected page as it
    // is; if so, `code_pages` lists them.
    bool code_kept_by(const MemoryImage& image, std::vector<uint32_t>& code_pages) const;
    // The host mappings there would be with pages [first, first+next.size())
    // flagged `next`.
    uint64_t mappings_with(uint64_t first, const std::vector<PageFlags>& next) const;
    // Applies `next` to the host, run by run of host protection; undone (as
    // far as the host allows) when it refuses.
    bool protect_host(uint64_t first, const std::vector<PageFlags>& next) const;
    // The first `replaced` pages of `next` get new contents (the others only
    // new flags).
    void commit(uint64_t first, const std::vector<PageFlags>& next, uint32_t mappings, uint64_t replaced) const;
    bool change_for_engine(uint64_t first, const std::vector<PageFlags>& next) const;
    bool replace_host(uint32_t addr, uint32_t length, int prot, int flags) const;
    // Maps [addr, addr+length) anew as pages of `kind` (Perm bits, kShared,
    // kBuffer...), the host's mapping made by map_host, if the host mappings
    // allow.
    bool map_new(uint32_t addr, uint32_t length, PageFlags kind, const std::function<bool()>& map_host);
    void refill_holes(uint32_t addr, uint32_t length) const;
    void exceed(uint64_t wanted) const;
    bool release_code_in(uint32_t addr, uint64_t length) const;
    bool release_code_run(uint32_t page) const;

    // The per-page tables' host memory: one mapping of its own, which stays
    // the host's zero pages until written, so a guest mostly unmapped (and a
    // sandbox restored from a snapshot, which writes only its mapped pages'
    // entries) costs the host only the table pages that say something.
    struct TableMemory {
        explicit TableMemory(uint64_t pages);
        ~TableMemory();
        TableMemory(const TableMemory&) = delete;
        TableMemory& operator=(const TableMemory&) = delete;
        uint8_t* base = nullptr;
        size_t bytes = 0;
    };
    // One entry a page, in TableMemory.
    template <class T>
    class PageTable {
    public:
        PageTable(void* entries, size_t size) : entries_(static_cast<T*>(entries)), size_(size) {}
        T& operator[](size_t i) { return entries_[i]; }
        const T& operator[](size_t i) const { return entries_[i]; }
        T* begin() { return entries_; }
        T* end() { return entries_ + size_; }
        T* data() { return entries_; }
        const T* data() const { return entries_; }
        size_t size() const { return size_; }

    private:
        T* entries_;
        size_t size_;
    };

    uint8_t* base_ = nullptr;
    uint32_t size_ = 0;
    TableMemory tables_;
    // One Perm (| kMapped, kCodeProtected, ...) per page; mutable for accessible().
    mutable PageTable<PageFlags> perms_;
    mutable uint32_t mapped_pages_ = 0;
    mutable uint32_t buffer_pages_ = 0;
    mutable PageTable<uint8_t> held_;  // per page: see hold_common_pages()
    mutable bool tables_zero_ = true;  // perms_ and held_ are all zeros, as made
    mutable uint32_t held_pages_ = 0;
    // Per page, with kCopyPending; none until a tag is marked (pending for
    // no record until then, as a restore leaves pages).
    mutable std::vector<uint16_t> copy_tag_;
    uint16_t copy_tag(uint64_t page) const { return copy_tag_.empty() ? kNoRecord : copy_tag_[page]; }
    mutable uint32_t pending_pages_ = 0;
    std::function<bool(uint64_t)> admit_;
    std::function<void(uint16_t, uint32_t)> copy_released_;
    mutable uint64_t exec_generation_ = 0;
    uint32_t max_host_mappings_;
    mutable uint32_t host_mappings_ = 1;  // the reservation
    mutable uint32_t host_mappings_peak_ = 1;
    mutable std::optional<LimitExceeded> breach_;
    uint32_t grow_floor_ = 0;  // see set_grow_down
    mutable uint32_t grow_low_ = 0;
    // The host's protections may no longer be what perms_ says (it refused
    // to undo a change it half made): no host access to guest memory then.
    mutable bool host_state_lost_ = false;
    // Since the last restore (see code_unchanged): the image, the
    // exec_generation it left, whether a code page was released.
    uint64_t restored_serial_ = 0;
    uint64_t generation_after_restore_ = 0;
    mutable bool code_released_ = false;
    bool code_unchanged_ = false;
    mutable std::vector<uint64_t> touched_runs_;  // a bit for each run of kCopyRun bytes (see touch)
};

}  // namespace vx
