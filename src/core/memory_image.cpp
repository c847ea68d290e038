// GuestMemory's copy-on-write images: capture() and restore() (see
// docs/snapshots.md).
#include "core/memory_image.h"

#include "vx/snapshot.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <string>

#include "vx/error.h"
#include "vx/guest_memory.h"

namespace vx {
namespace {

// Zero pages between stored ones that are stored too, up to this many in a
// row: fewer host mappings, and a snapshot's memory stays what it stored.
constexpr uint64_t kStoredGapPages = 16;

int make_image_file(uint64_t size) {
    int fd = -1;
#ifdef MFD_NOEXEC_SEAL
    // Never executable (guest pages are not host code); kernels before 6.3
    // do not know the flag.
    fd = memfd_create("vx-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
    if (fd < 0 && errno != EINVAL) throw Error(std::string("cannot create a snapshot's memory file: ") + strerror(errno));
#endif
    if (fd < 0) fd = memfd_create("vx-snapshot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) throw Error(std::string("cannot create a snapshot's memory file: ") + strerror(errno));
    if (ftruncate(fd, off_t(size)) != 0) {
        const int e = errno;
        close(fd);
        throw Error(std::string("cannot size a snapshot's memory file: ") + strerror(e));
    }
    return fd;
}

bool zero_page(const uint8_t* page) {
    const auto* words = reinterpret_cast<const uint64_t*>(page);
    uint64_t any = 0;
    for (size_t i = 0; i < kPageSize / sizeof(uint64_t); ++i) any |= words[i];
    return any == 0;
}

// pwrite / pread of the whole range, or false with errno.
bool write_all(int fd, const uint8_t* from, size_t length, off_t offset) {
    while (length) {
        const ssize_t n = pwrite(fd, from, length, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        from += n, length -= size_t(n), offset += n;
    }
    return true;
}

bool read_all(int fd, uint8_t* to, size_t length, off_t offset) {
    while (length) {
        const ssize_t n = pread(fd, to, length, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        to += n, length -= size_t(n), offset += n;
    }
    return true;
}

constexpr uint64_t kPagemapPresent = 1ull << 63, kPagemapSwapped = 1ull << 62, kPagemapFileOrShared = 1ull << 61;

uint64_t pagemap_entry(int fd, const void* page) {
    uint64_t entry = 0;
    const off_t offset = off_t(reinterpret_cast<uint64_t>(page) / kPageSize * sizeof entry);
    return read_all(fd, reinterpret_cast<uint8_t*>(&entry), sizeof entry, offset) ? entry : 0;
}

// Whether the pagemap tells a page this process wrote in a private mapping
// of a file from one only read there, as restore relies on it to (a host
// that says "not present" of everything would leave a tenant's writes).
bool pagemap_tells_writes(int fd) {
    const int file = memfd_create("vx-pagemap-probe", MFD_CLOEXEC);
    if (file < 0) return false;
    bool tells = false;
    if (ftruncate(file, 2 * kPageSize) == 0) {
        void* view = mmap(nullptr, 2 * kPageSize, PROT_READ | PROT_WRITE, MAP_PRIVATE, file, 0);
        if (view != MAP_FAILED) {
            volatile uint8_t* const pages = static_cast<uint8_t*>(view);
            (void)pages[0];
            pages[kPageSize] = 1;
            const uint64_t read = pagemap_entry(fd, view), written = pagemap_entry(fd, static_cast<uint8_t*>(view) + kPageSize);
            tells = (read & kPagemapPresent) && (read & kPagemapFileOrShared) && (written & kPagemapPresent) &&
                    !(written & kPagemapFileOrShared);
            munmap(view, 2 * kPageSize);
        }
    }
    close(file);
    return tells;
}

// /proc/self/pagemap, opened once (and again in a forked child, whose own
// it must be); -1 when this host has none to give, or one that does not
// tell written pages apart.
std::atomic<int> pagemap_file{-2};  // -2: not opened yet

int pagemap_fd() {
    static std::once_flag once;
    std::call_once(once, [] {
        pthread_atfork(nullptr, nullptr, [] {
            const int inherited = pagemap_file.exchange(-2);
            if (inherited >= 0) close(inherited);
        });
    });
    int fd = pagemap_file.load(std::memory_order_acquire);
    if (fd != -2) return fd;
    int opened = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
    if (opened >= 0 && !pagemap_tells_writes(opened)) {
        close(opened);
        opened = -1;
    }
    if (!pagemap_file.compare_exchange_strong(fd, opened) && opened >= 0) close(opened);
    return pagemap_file.load(std::memory_order_acquire);
}

}  // namespace

void prepare_restores() { pagemap_fd(); }

MemoryImage::~MemoryImage() {
    if (contents_) munmap(const_cast<uint8_t*>(contents_), size);
    if (fd >= 0) close(fd);
}

const uint8_t* MemoryImage::contents() const {
    std::call_once(contents_once_, [this] {
        void* view = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
        if (view != MAP_FAILED) contents_ = static_cast<const uint8_t*>(view);
    });
    return contents_;
}

std::vector<uint32_t> GuestMemory::keep_written_runs(const MemoryImage& image) {
    std::vector<uint32_t> kept;
    const int pagemap = pagemap_fd();
    const uint8_t* const contents = pagemap >= 0 ? image.contents() : nullptr;
    if (!contents) return kept;
    const uint64_t pages = perms_.size(), runs = (pages + kCopyRunPages - 1) / kCopyRunPages;
    uint32_t copied = 0;
    for (uint64_t run = next_touched(0); run < runs; run = next_touched(run + 1)) {
        // Every page as the image has it, but the pending ones released (all
        // of them: a write releases the whole run), none shared.
        const uint64_t first = run * kCopyRunPages, end = std::min(pages, first + kCopyRunPages);
        bool eligible = true, released = false;
        for (uint64_t p = first; p < end && eligible; ++p) {
            const PageFlags want = image.flags[p];
            if (want & kCopyPending) {
                eligible = perms_[p] == (PageFlags(want & ~(kCopyPending | kAsRestored)) | kReleased);
                released = true;
            } else {
                eligible = !(want & kShared) && PageFlags(perms_[p] & ~kCodeProtected) == want && held_[p] == image.held[p];
            }
        }
        if (!eligible || !released) continue;
        // The pages written: the host's copies (present and not the file's
        // page, or swapped out); the others still read the snapshot's.
        uint64_t entries[kCopyRunPages];
        const uint64_t first_entry = reinterpret_cast<uint64_t>(base_) / kPageSize + first;
        if (!read_all(pagemap, reinterpret_cast<uint8_t*>(entries), (end - first) * sizeof entries[0],
                      off_t(first_entry * sizeof entries[0])))
            break;
        std::vector<uint64_t> written;
        for (uint64_t p = first; p < end; ++p) {
            const uint64_t entry = entries[p - first];
            if ((image.flags[p] & kCopyPending) &&
                (((entry & kPagemapPresent) && !(entry & kPagemapFileOrShared)) || (entry & kPagemapSwapped)))
                written.push_back(p);
        }
        if (copied + written.size() > kMaxPagesCopied || kept.size() == kMaxRunsKept) continue;  // mapped anew
        for (uint64_t p : written) {
            uint8_t* const page = base_ + p * kPageSize;
            if (image.flags[p] & kImage) {
                const uint8_t* const from = contents + p * kPageSize;
                if (std::memcmp(page, from, kPageSize) != 0) std::memcpy(page, from, kPageSize);
            } else if (!zero_page(page)) {
                std::memset(page, 0, kPageSize);
            }
        }
        copied += uint32_t(written.size());
        kept.push_back(uint32_t(run));
    }
    return kept;
}



std::shared_ptr<const MemoryImage> GuestMemory::capture() const {
    if (host_state_lost_) throw Error("cannot snapshot guest memory whose host mappings were lost");
    // A buffer is the host's, not the guest's state: a snapshot holds neither
    // its contents (the host's data) nor a tie to it.
    if (buffer_pages_) throw Error("cannot snapshot guest memory that maps a shared buffer: unmap it first");
    static std::atomic<uint64_t> images{0};
    auto image = std::make_shared<MemoryImage>();
    image->serial = ++images;
    image->size = size_;
    image->fd = make_image_file(size_);
    const uint64_t pages = perms_.size();

    // Pages the guest may not read are readable for the host only while
    // they are looked at.
    auto with_readable = [&](const std::function<bool(uint64_t first, uint64_t end)>& look) {
        for (uint64_t p = 0; p < pages;) {
            if (!(perms_[p] & kMapped)) {
                ++p;
                continue;
            }
            const bool unreadable = host_prot_of(perms_[p]) == PROT_NONE;
            uint64_t q = p + 1;
            while (q < pages && (perms_[q] & kMapped) && (host_prot_of(perms_[q]) == PROT_NONE) == unreadable) ++q;
            uint8_t* const at = base_ + p * kPageSize;
            const size_t length = (q - p) * kPageSize;
            if (unreadable && mprotect(at, length, PROT_READ) != 0)
                throw Error(std::string("cannot read guest memory for a snapshot: ") + strerror(errno));
            const bool done = look(p, q);
            const int look_errno = errno;
            if (unreadable && mprotect(at, length, PROT_NONE) != 0) {
                host_state_lost_ = true;  // readable where the guest may not read: it must not run on
                exceed(host_mappings_);
            }
            if (!done) throw Error(std::string("cannot write a snapshot's memory file: ") + strerror(look_errno));
            p = q;
        }
    };
    // Which pages the file stores: those holding anything but zeros, and
    // short runs of private zero pages between them (a restored guest's
    // private pages read from the file: a hole there would take memory in
    // the file when read, counted nowhere). Longer runs of zeros are
    // restored as fresh zero pages.
    std::vector<bool> stored(pages, false);
    const int pagemap = pagemap_fd();
    with_readable([&](uint64_t first, uint64_t end) {
        constexpr uint64_t kBatch = 512;
        uint64_t entries[kBatch];
        for (uint64_t batch = first; batch < end; batch += kBatch) {
            const uint64_t batch_end = std::min(end, batch + kBatch);
            const bool told = pagemap >= 0 &&
                              read_all(pagemap, reinterpret_cast<uint8_t*>(entries), (batch_end - batch) * sizeof entries[0],
                                       off_t((reinterpret_cast<uint64_t>(base_) / kPageSize + batch) * sizeof entries[0]));
            for (uint64_t p = batch; p < batch_end; ++p) {
                // Zeros, known without reading them (each read would map a
                // page): restored zero pages not written since, and
                // anonymous pages the host never touched (not present, not
                // swapped out), such as the untouched part of a large heap.
                const bool anonymous = !(perms_[p] & (kShared | kImage | kAsRestored | kReleased | kBuffer));
                const bool untouched = told && anonymous && !(entries[p - batch] & (kPagemapPresent | kPagemapSwapped));
                const bool known_zeros = ((perms_[p] & kAsRestored) && !(perms_[p] & kImage)) || untouched;
                stored[p] = !known_zeros && !zero_page(base_ + p * kPageSize);
            }
        }
        return true;
    });
    auto stored_private = [&](uint64_t p) { return (perms_[p] & kMapped) && !(perms_[p] & kShared) && stored[p]; };
    for (uint64_t p = 1; p < pages; ++p) {
        if (!stored_private(p - 1) || stored[p] || !(perms_[p] & kMapped) || (perms_[p] & kShared)) continue;
        uint64_t q = p;
        while (q < pages && q - p < kStoredGapPages && (perms_[q] & kMapped) && !(perms_[q] & kShared) && !stored[q]) ++q;
        if (q < pages && q - p < kStoredGapPages && stored_private(q))
            for (uint64_t g = p; g < q; ++g) stored[g] = true;
        p = q;
    }
    // The contents: each run of stored pages in one write.
    with_readable([&](uint64_t first, uint64_t end) {
        for (uint64_t p = first; p < end;) {
            if (!stored[p]) {
                ++p;
                continue;
            }
            uint64_t q = p + 1;
            while (q < end && stored[q]) ++q;
            if (!write_all(image->fd, base_ + p * kPageSize, (q - p) * kPageSize, off_t(p * kPageSize)))
                return false;
            image->stored_bytes += (q - p) * kPageSize;
            p = q;
        }
        return true;
    });
    if (fcntl(image->fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0)
        throw Error(std::string("cannot seal a snapshot's memory file: ") + strerror(errno));

    // What each page becomes when restored: a private page, a mapping of the
    // file, or a fresh zero page when the file does not store it (pending a
    // copy if the guest may write it, else held in common with the image);
    // a shared page, a copy in a new shared mapping (one a run of them).
    image->flags.assign(pages, kNone);
    image->held.assign(pages, false);
    for (uint64_t p = 0; p < pages; ++p) {
        const PageFlags old = perms_[p];
        if (!(old & kMapped)) continue;
        PageFlags flags = PageFlags(old & (kRead | kWrite | kExec)) | kMapped;
        if (old & kShared) {
            flags |= kShared;
            if (p == 0 || !(perms_[p - 1] & kShared)) flags |= kMappingStart;
            ++image->shared_pages;
        } else if (old & kWrite) {
            flags |= (stored[p] ? kImage : 0) | kAsRestored | kCopyPending;
            ++image->pending_pages;
        } else {
            flags |= (stored[p] ? kImage : 0) | kAsRestored;
            image->held[p] = true;
            ++image->held_pages;
        }
        ++image->mapped_pages;
        image->flags[p] = flags;
    }
    auto flags_at = [&](uint64_t p) -> PageFlags { return p < pages ? image->flags[p] : 0; };
    image->host_mappings = 1;  // the reservation
    for (uint64_t p = 1; p <= pages; ++p) image->host_mappings += starts_mapping(flags_at(p), flags_at(p - 1));

    // The host mappings to make: unmapped runs (the reservation), shared
    // runs, runs of the file or of zero pages of one host protection.
    auto run_key = [&](PageFlags flags) {
        if (!(flags & kMapped)) return 0;
        if (flags & kShared) return 1;
        return ((flags & kImage) ? 4 : 8) + host_prot_of(flags);
    };
    for (uint64_t p = 0; p < pages;) {
        uint64_t q = p + 1;
        while (q < pages && run_key(image->flags[q]) == run_key(image->flags[p]) &&
               !(image->flags[q] & kMappingStart))
            ++q;
        image->runs.push_back({uint32_t(p), uint32_t(q - p)});
        p = q;
    }
    image->grow_floor = grow_floor_;
    image->grow_low = grow_low_;
    return image;
}

void GuestMemory::check_restore(const MemoryImage& image) const {
    if (image.size != size_)
        throw Error("a snapshot of " + std::to_string(image.size) + " bytes of guest memory cannot be restored into " +
                    std::to_string(size_));
    if (image.host_mappings > max_host_mappings_)
        throw Error("the snapshot's memory makes " + std::to_string(image.host_mappings) +
                    " host mappings, more than this sandbox's limit of " + std::to_string(max_host_mappings_));
}

bool GuestMemory::code_kept_by(const MemoryImage& image, std::vector<uint32_t>& code_pages) const {
    if (image.serial != restored_serial_ || exec_generation_ != generation_after_restore_ || code_released_ ||
        breach_ || host_state_lost_)
        return false;
    constexpr PageFlags kPerms = PageFlags(kRead) | PageFlags(kWrite) | PageFlags(kExec);
    const PageFlags* flags = perms_.data();
    const uint16_t* restored = image.flags.data();
    // (Pages in runs not touched since are as the image has them: unprotected.)
    for (size_t p = 0, pages = perms_.size(); p < pages; ++p) {
        if (p % kCopyRunPages == 0 && !touched(p / kCopyRunPages)) {
            p = next_touched(p / kCopyRunPages) * kCopyRunPages - 1;
            continue;
        }
        if (!(flags[p] & kCodeProtected)) continue;
        if (!(flags[p] & kAsRestored) || (flags[p] & kPerms) != (restored[p] & kPerms)) return false;
        code_pages.push_back(uint32_t(p));
    }
    return true;
}

bool GuestMemory::restore(const MemoryImage& image, bool keep_written) {
    check_restore(image);
    const bool same_image = image.serial == restored_serial_ && !host_state_lost_;
    std::vector<uint32_t> code_pages;
    const bool code_kept = code_kept_by(image, code_pages);
    // Every page is replaced: the copies a host fork left pending here are
    // let go of, as an unmap does.
    if (copy_released_)
        for (const auto& [tag, run] : pending_copies()) copy_released_(tag, run);
    const std::vector<uint32_t> kept = same_image && keep_written && !breach_ ? keep_written_runs(image)
                                                                             : std::vector<uint32_t>{};
    auto kept_run = [&](uint64_t run) { return std::binary_search(kept.begin(), kept.end(), uint32_t(run)); };

    // Pages [first, end) of one image run.
    auto map_pages = [&](uint32_t first, uint32_t end) {
        const PageFlags flags = image.flags[first];
        uint8_t* const at = base_ + uint64_t(first) * kPageSize;
        const size_t length = size_t(end - first) * kPageSize;
        const off_t offset = off_t(uint64_t(first) * kPageSize);
        if (!(flags & kMapped))
            return mmap(at, length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != MAP_FAILED;
        if (flags & kImage)
            return mmap(at, length, host_prot_of(flags), MAP_PRIVATE | MAP_FIXED, image.fd, offset) != MAP_FAILED;
        if (!(flags & kShared))
            return mmap(at, length, host_prot_of(flags), MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED;
        // Shared: a new shared mapping with the image's contents.
        if (mmap(at, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ||
            !read_all(image.fd, at, length, offset))
            return false;
        for (uint32_t p = first; p < end;) {
            const int prot = host_prot_of(image.flags[p]);
            uint32_t q = p + 1;
            while (q < end && host_prot_of(image.flags[q]) == prot) ++q;
            if (prot != (PROT_READ | PROT_WRITE) &&
                mprotect(base_ + uint64_t(p) * kPageSize, size_t(q - p) * kPageSize, prot) != 0)
                return false;
            p = q;
        }
        return true;
    };
    // Memory as made (nothing mapped since, the host's pages all reserved
    // inaccessible): its unmapped runs are already what they would be made.
    const bool as_made = tables_zero_ && !host_state_lost_;
    // Pages restored from this image last time, none of which changed since
    // (never host-writable, replaced or protected: in a run not touched, or
    // with flags as restored), are mapped as they would be again: left as
    // they are.
    auto unchanged = [&](uint32_t first, uint32_t end) {
        const PageFlags flags = image.flags[first];
        if (as_made && !(flags & kMapped)) return true;
        if (!same_image || (flags & kShared)) return false;
        for (uint64_t p = first; p < end;) {
            if (!touched(p / kCopyRunPages)) p = std::max<uint64_t>(p, next_touched(p / kCopyRunPages) * kCopyRunPages);
            if (p >= end) break;
            const uint64_t run_end = std::min<uint64_t>(end, (p / kCopyRunPages + 1) * kCopyRunPages);
            for (; p < run_end; ++p) {
                if (!(flags & kMapped) ? perms_[p] != kNone
                                       : !(perms_[p] & kAsRestored) ||
                                             PageFlags(perms_[p] & ~kCodeProtected) != image.flags[p])
                    return false;
            }
        }
        return true;
    };
    // Each image run but the copy runs kept.
    for (const MemoryImage::Run& run : image.runs)
        for (uint32_t p = run.first_page, end = run.first_page + run.pages; p < end;) {
            auto run_end = [&](uint32_t at) { return std::min<uint32_t>(end, (at / kCopyRunPages + 1) * kCopyRunPages); };
            if (kept_run(p / kCopyRunPages)) {
                p = run_end(p);
                continue;
            }
            // Up to the next run kept, if it is in this image run.
            const auto next_kept = std::upper_bound(kept.begin(), kept.end(), uint32_t(p / kCopyRunPages));
            const uint32_t q = next_kept == kept.end() ? end : std::min<uint32_t>(end, *next_kept * kCopyRunPages);
            if (!unchanged(p, q) && !map_pages(p, q)) {
                empty_after_refusal();
                return false;
            }
            p = q;
        }

    // The tables: only the runs touched since, when they were this image's.
    const uint64_t pages = perms_.size(), runs = (pages + kCopyRunPages - 1) / kCopyRunPages;
    if (!same_image) {
        // Zeros as made: only the mapped pages' entries need writing.
        for (const MemoryImage::Run& run : image.runs)
            for (uint64_t p = run.first_page; p < uint64_t(run.first_page) + run.pages; ++p) {
                if (tables_zero_ && !(image.flags[run.first_page] & kMapped)) break;
                perms_[p] = image.flags[p];
                held_[p] = image.held[p];
            }
        tables_zero_ = false;
    } else {
        for (uint64_t r = next_touched(0); r < runs; r = next_touched(r + 1)) {
            for (uint64_t p = r * kCopyRunPages, end = std::min(pages, p + kCopyRunPages); p < end; ++p) {
                perms_[p] = image.flags[p];
                held_[p] = image.held[p];
            }
        }
    }
    std::vector<uint16_t>().swap(copy_tag_);  // every page pending now is the image's: for no record
    std::fill(touched_runs_.begin(), touched_runs_.end(), 0);
    mapped_pages_ = image.mapped_pages;
    buffer_pages_ = 0;  // an image maps none
    held_pages_ = image.held_pages;
    pending_pages_ = image.pending_pages;
    host_mappings_ = image.host_mappings;
    // The runs kept stay as the guest's writes left them: their own, writable.
    for (uint32_t run : kept) {
        const uint64_t first = uint64_t(run) * kCopyRunPages, end = std::min(pages, first + kCopyRunPages);
        std::vector<PageFlags> next(perms_.begin() + first, perms_.begin() + end);
        for (PageFlags& flags : next)
            if (flags & kCopyPending) {
                flags = PageFlags(flags & ~(kCopyPending | kAsRestored)) | kReleased;
                --pending_pages_;
            }
        host_mappings_ = uint32_t(mappings_with(first, next));
        std::copy(next.begin(), next.end(), perms_.begin() + first);
        touch(first, end);
    }
    // Protected as before: the host keeps the image's pages read-only (the
    // guest's writable ones are pending) until released, so only the mark
    // is needed.
    for (uint32_t p : code_pages) {
        perms_[p] |= kCodeProtected;
        touch(p, p + 1);
    }
    host_mappings_peak_ = std::max(host_mappings_peak_, host_mappings_);
    grow_floor_ = image.grow_floor;
    grow_low_ = image.grow_low;
    if (!code_kept) ++exec_generation_;  // what was translated came from other contents
    breach_.reset();
    host_state_lost_ = false;  // every page of the guest's was mapped anew
    restored_serial_ = image.serial;
    generation_after_restore_ = exec_generation_;
    code_released_ = false;
    code_unchanged_ = code_kept;
    return true;
}

void GuestMemory::empty_after_refusal() {
    if (mmap(base_, size_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) == MAP_FAILED) {
        refill_holes(0, size_);
        host_state_lost_ = true;
    }
    std::fill(perms_.begin(), perms_.end(), PageFlags(kNone));
    std::fill(held_.begin(), held_.end(), false);
    std::vector<uint16_t>().swap(copy_tag_);
    mapped_pages_ = held_pages_ = pending_pages_ = buffer_pages_ = 0;
    host_mappings_ = 1;
    grow_floor_ = grow_low_ = 0;
    ++exec_generation_;
    restored_serial_ = 0;
    code_unchanged_ = false;
    exceed(host_mappings_);  // the guest cannot run on: what it had is gone
}

}  // namespace vx
