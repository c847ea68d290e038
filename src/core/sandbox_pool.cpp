// SandboxPool: sandboxes made from one snapshot, reset between tenants
// (docs/plugins.md, "Pools").
#include "vx/sandbox_pool.h"

#include <condition_variable>
#include <mutex>
#include <utility>
#include <vector>

#include "core/fork_generation.h"
#include "vx/error.h"

namespace vx {

struct SandboxPool::State {
    std::shared_ptr<const Snapshot> snapshot;
    SandboxOptions options;
    size_t max_size;
    std::mutex lock;
    std::condition_variable returned;
    struct Idle {
        std::unique_ptr<Sandbox> sandbox;
        uint64_t fork_generation;  // of the process it was returned in
    };
    std::vector<Idle> idle;  // reset, the last returned last
    size_t made = 0;         // leased or idle

    // Sandboxes returned before this process was forked are not handed out
    // in it (their code caches are the parent's too): out of the pool, for
    // the caller to destroy outside the lock. (Under the lock.)
    std::vector<Idle> take_stale() {
        std::vector<Idle> stale = take_kept_elsewhere(idle);
        made -= stale.size();
        return stale;
    }

    // The snapshot's again, as a new tenant must find it; false when it
    // cannot be (it stays stopped, or the host refused): not to be reused.
    bool reset(Sandbox& sandbox) noexcept {
        try {
            sandbox.restore(*snapshot);
            sandbox.restart_clocks(options.limits);  // nothing the last tenant spent, or learnt of it
            sandbox.set_memory_admission(nullptr);
            // Fuel the snapshot does not give: each tenant gets the limits' own.
            if (sandbox.fuel() && !snapshot->fuel()) {
                sandbox.take_fuel();
                sandbox.add_fuel(*sandbox.limits().instructions);
            }
            return !sandbox.stop_pending();
        } catch (...) {
            return false;
        }
    }

    void give_back(std::unique_ptr<Sandbox> sandbox) noexcept {
        const bool reusable = reset(*sandbox);
        if (!reusable) sandbox.reset();  // (outside the lock: a sandbox's end unmaps much)
        std::lock_guard<std::mutex> guard(lock);
        if (reusable) idle.push_back({std::move(sandbox), fork_generation()});
        else --made;
        returned.notify_one();
    }
};

SandboxPool::SandboxPool(std::shared_ptr<const Snapshot> snapshot, size_t max_size)
    : SandboxPool(snapshot, snapshot ? snapshot->options() : SandboxOptions{}, max_size) {}

SandboxPool::SandboxPool(std::shared_ptr<const Snapshot> snapshot, const SandboxOptions& options, size_t max_size)
    : state_(std::make_shared<State>()) {
    if (!snapshot) throw Error("a sandbox pool needs a snapshot");
    if (max_size == 0) throw Error("a sandbox pool holds at least one sandbox");
    if (options.memory_size != snapshot->memory_size() || options.arch != snapshot->cpu().arch())
        throw Error("a sandbox pool's options must be of its snapshot's memory size and arch");
    state_->snapshot = std::move(snapshot);
    state_->options = options;
    state_->max_size = max_size;
}

SandboxPool::~SandboxPool() = default;

size_t SandboxPool::max_size() const { return state_->max_size; }

size_t SandboxPool::size() const {
    std::vector<State::Idle> stale;
    std::lock_guard<std::mutex> guard(state_->lock);
    stale = state_->take_stale();
    return state_->made;
}

size_t SandboxPool::idle() const {
    std::vector<State::Idle> stale;
    std::lock_guard<std::mutex> guard(state_->lock);
    stale = state_->take_stale();
    return state_->idle.size();
}

std::optional<SandboxPool::Lease> SandboxPool::try_take() {
    State& s = *state_;
    std::vector<State::Idle> stale;  // (destroyed last, outside the lock)
    {
        std::lock_guard<std::mutex> guard(s.lock);
        stale = s.take_stale();
        if (!s.idle.empty()) {
            std::unique_ptr<Sandbox> sandbox = std::move(s.idle.back().sandbox);
            s.idle.pop_back();
            return Lease(state_, std::move(sandbox));
        }
        if (s.made == s.max_size) return std::nullopt;
        ++s.made;  // ours to make, outside the lock
    }
    try {
        return Lease(state_, std::make_unique<Sandbox>(*s.snapshot, s.options));
    } catch (...) {
        std::lock_guard<std::mutex> guard(s.lock);
        --s.made;
        s.returned.notify_one();
        throw;
    }
}

SandboxPool::Lease SandboxPool::take() {
    for (;;) {
        if (std::optional<Lease> lease = try_take()) return std::move(*lease);
        std::unique_lock<std::mutex> guard(state_->lock);
        state_->returned.wait(guard, [&] { return !state_->idle.empty() || state_->made < state_->max_size; });
    }
}

SandboxPool::Lease::Lease(std::shared_ptr<State> pool, std::unique_ptr<Sandbox> sandbox)
    : pool_(std::move(pool)), sandbox_(std::move(sandbox)) {}

void SandboxPool::Lease::give_back() noexcept {
    if (sandbox_) pool_->give_back(std::move(sandbox_));
    pool_.reset();
}

SandboxPool::Lease& SandboxPool::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        give_back();
        pool_ = std::move(other.pool_);
        sandbox_ = std::move(other.sandbox_);
    }
    return *this;
}

SandboxPool::Lease::~Lease() { give_back(); }

}  // namespace vx
