#pragma once
#include <cstddef>
#include <cstdint>

#include "core/guarded_mapping.h"

namespace vx::dbt {

// Translated code, W^X: one memfd mapped twice, executable where it runs and
// writable at another address where only the host writes, then closed: no
// descriptor of it outlives the mapping. Neither mapping is inside any guest's
// reservation, and each has a guard page on either side. The writable view is
// inaccessible (PROT_NONE) whenever guest code runs: writable() opens it for
// the translator, and seal() closes it before the engine enters guest code,
// so code that got out of the translator finds no writable translations.
class CodeCache {
public:
    explicit CodeCache(size_t capacity);
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
        return write_view_.data() + (exec - exec_base_);
    }
    // The writable view inaccessible until the next writable(). Also from a
    // signal handler.
    void seal() const;
    bool sealed() const { return !open_; }
    const GuardedMapping& exec_view() const { return exec_view_; }
    const GuardedMapping& write_view() const { return write_view_; }
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
    size_t capacity_;
    size_t used_ = 0;
    GuardedMapping exec_view_;
    GuardedMapping write_view_;
    uint64_t exec_base_ = 0;
    int child_fd_ = -1;  // between prepare_fork and finish_fork
    mutable bool open_ = true;
    void open() const;
};

}  // namespace vx::dbt
