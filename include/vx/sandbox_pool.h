#pragma once
#include <cstddef>
#include <memory>
#include <optional>

#include "vx/sandbox.h"
#include "vx/snapshot.h"

namespace vx {

// Sandboxes made from one snapshot, handed out as leases, each reset to the
// snapshot (Sandbox::restore) before it is handed out again: nothing of a
// tenant (memory, registers, extended state, %fs/%gs, descriptors, a limit
// or fault it ran into) reaches the next. Thread-safe: any thread may take
// and return leases at once. See docs/plugins.md, "Pools".
class SandboxPool {
public:
    // At most `max_size` sandboxes (at least 1), made as they are first
    // needed, with `options` (of the snapshot's memory size and arch; by
    // default the snapshot's own).
    SandboxPool(std::shared_ptr<const Snapshot> snapshot, size_t max_size);
    SandboxPool(std::shared_ptr<const Snapshot> snapshot, const SandboxOptions& options, size_t max_size);
    ~SandboxPool();
    SandboxPool(const SandboxPool&) = delete;
    SandboxPool& operator=(const SandboxPool&) = delete;

    struct State;

    // One sandbox, the lease holder's alone until the lease ends (destroyed
    // or moved over): then the sandbox goes back to the pool, which resets
    // it. A sandbox whose reset leaves it stopped (a time limit, an
    // interrupt, a limit the host reported) or that the host refused to
    // reset is not reused: the pool makes a new one when one is needed. A
    // lease may outlive its pool.
    class Lease {
    public:
        Lease(Lease&& other) noexcept = default;
        Lease& operator=(Lease&& other) noexcept;
        ~Lease();
        Sandbox& operator*() const { return *sandbox_; }
        Sandbox* operator->() const { return sandbox_.get(); }

    private:
        friend class SandboxPool;
        Lease(std::shared_ptr<State> pool, std::unique_ptr<Sandbox> sandbox);
        void give_back() noexcept;
        std::shared_ptr<State> pool_;
        std::unique_ptr<Sandbox> sandbox_;
    };

    // A sandbox as the snapshot left it: an idle one, or a new one while
    // fewer than max_size exist; else take() waits for a lease to end and
    // try_take() returns none. Throws Error when a new sandbox cannot be
    // made (see Sandbox(const Snapshot&, const SandboxOptions&)).
    Lease take();
    std::optional<Lease> try_take();

    size_t max_size() const;
    // Sandboxes that exist now (leased or idle), and of those, idle ones.
    size_t size() const;
    size_t idle() const;

private:
    std::shared_ptr<State> state_;
};

}  // namespace vx
