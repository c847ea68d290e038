#pragma once
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace vx::dbt {

// Address space reserved inaccessible (PROT_NONE, nothing committed), for
// mappings placed inside it; unmapped whole by the destructor. `hint`, when
// the host has room there, is where it goes.
class HostReservation {
public:
    HostReservation() = default;
    explicit HostReservation(size_t size, const void* hint = nullptr);
    ~HostReservation();
    HostReservation(HostReservation&& other) noexcept;
    HostReservation& operator=(HostReservation&& other) noexcept;
    HostReservation(const HostReservation&) = delete;
    HostReservation& operator=(const HostReservation&) = delete;
    uint8_t* data() const { return base_; }
    size_t size() const { return size_; }

private:
    uint8_t* base_ = nullptr;
    size_t size_ = 0;
};

// Translated code, W^X: one memfd mapped twice, executable where it runs and
// writable at another address where only the host writes, then closed: no
// descriptor of it outlives the mapping. Neither mapping is inside any guest's
// reservation, and each has a guard page on either side. The writable view is
// inaccessible (PROT_NONE) whenever guest code runs: writable() opens it for
// the translator, and seal() closes it before the engine enters guest code,
// so code that got out of the translator finds no writable translations.
//
// Laid out in span_bytes(capacity) from its start: a guard page, the
// writable view (the memfd, of the cache's capacity), a guard page, the
// executable view (the same memfd), then an inaccessible page of the
// reservation. The guards are the reservation's own anonymous pages, so
// the view, a file's, is a host mapping of its own, sealed or open: opening
// and sealing it never split or merge a mapping (which the host may refuse
// at its map count, where a stop that unchains blocks from a signal handler
// could not go on).
class CodeCache {
public:
    static constexpr size_t kGuard = 4096;
    static size_t span_bytes(size_t capacity) { return 3 * kGuard + 2 * capacity; }

    // In a reservation of its own.
    explicit CodeCache(size_t capacity);
    // At `span` (span_bytes(capacity), inside an inaccessible reservation
    // that outlives the cache), holding `first_code` (made for
    // exec_base_at(span, capacity)) from its start. Sealed.
    CodeCache(size_t capacity, uint8_t* span, std::span<const uint8_t> first_code = {});
    static uint64_t exec_base_at(const uint8_t* span, size_t capacity) {
        return reinterpret_cast<uint64_t>(span) + capacity + 2 * kGuard;
    }
    CodeCache(const CodeCache&) = delete;
    CodeCache& operator=(const CodeCache&) = delete;

    uint64_t exec_base() const { return exec_base_; }
    size_t capacity() const { return capacity_; }
    size_t used() const { return used_; }
    size_t available() const { return capacity_ - used_; }
    bool contains(uint64_t host_address) const {
        return host_address >= exec_base_ && host_address < exec_base_ + used_;
    }

    // Where code at executable address `exec` is written (the view opened
    // first, if sealed). Also from a signal handler.
    uint8_t* writable(uint64_t exec) const {
        open();
        return write_view() + (exec - exec_base_);
    }
    // The writable view inaccessible until the next writable(). Also from a
    // signal handler.
    void seal() const;
    bool sealed() const { return !open_; }
    uint8_t* exec_view() const { return span_ + capacity_ + 2 * kGuard; }
    uint8_t* write_view() const { return span_ + kGuard; }
    uint64_t cursor() const { return exec_base_ + used_; }
    void commit(size_t bytes) { used_ += bytes; }
    // Around a fork: the child gets the same code at the same addresses in a
    // memfd of its own, a snapshot taken before the fork, so that neither
    // process ever sees the other's later translations or patches. The
    // snapshot's descriptor lives only between the two calls.
    bool prepare_fork();  // false (errno says why): there must be no fork
    void finish_fork(bool in_child);
    // Forgets everything above `mark` (a cursor() value).
    void rewind(uint64_t mark) { used_ = mark - exec_base_; }

private:
    HostReservation own_;  // with the first constructor
    size_t capacity_;
    size_t used_ = 0;
    uint8_t* span_;
    uint64_t exec_base_ = 0;
    int child_fd_ = -1;  // between prepare_fork and finish_fork
    mutable bool open_ = false;
    static constexpr int kSealed = PROT_NONE, kOpen = PROT_READ | PROT_WRITE;
    void open() const;
    void create(std::span<const uint8_t> first_code);
    // Both views of `fd` over the span, the writable one open or sealed;
    // false with errno when refused.
    bool map_views(int fd, bool open);
};

}  // namespace vx::dbt
