// Pools in the C API (vx_pool, vx_lease) over vx::SandboxPool: a lease's
// handle is a vx_sandbox that borrows the lease's sandbox, so that every
// function of a sandbox takes it, and vx_sandbox_free leaves it (the pool
// owns the sandbox; vx_lease_return gives it back).
#include <memory>
#include <optional>
#include <utility>

#include "capi_internal.h"
#include "vx/sandbox_pool.h"

struct vx_pool {
    vx_pool(std::shared_ptr<const vx::Snapshot> snapshot, const vx::SandboxOptions& options, size_t max_size,
            vx::capi::Program program)
        : pool(std::move(snapshot), options, max_size), program(std::move(program)) {}
    vx::SandboxPool pool;
    vx::capi::Program program;  // the snapshot's, for vx_symbol on its leases
};

struct vx_lease {
    vx_lease(vx::SandboxPool::Lease&& taken, vx::capi::Program program) : lease(std::move(taken)) {
        handle.sandbox = &*lease;
        handle.program = std::move(program);
    }
    vx::SandboxPool::Lease lease;
    vx_sandbox handle;  // owns nothing: a new one for each lease, so nothing of it passes to the next
};

using namespace vx::capi;

namespace {

template <class Take>
vx_status take_lease(const char* fn, vx_pool* pool, vx_lease** lease, Take&& take) {
    VX_REQUIRE(pool);
    VX_REQUIRE(lease);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        std::optional<vx::SandboxPool::Lease> taken = take(pool->pool);
        if (!taken) return fail(VX_ERR_BUSY, fn, "every sandbox of the pool is leased");
        *lease = new vx_lease(std::move(*taken), pool->program);
        return VX_OK;
    });
}

}  // namespace

extern "C" {

vx_status vx_pool_new(const vx_snapshot* snapshot, const vx_sandbox_options* options, size_t max_sandboxes,
                      vx_pool** pool) {
    const char* const fn = __func__;
    VX_REQUIRE(snapshot);
    VX_REQUIRE(pool);
    if (max_sandboxes == 0) return invalid(fn, "max_sandboxes must be at least 1");
    return guarded(fn, VX_ERR_REFUSED, [&] {
        vx_status status = VX_OK;
        std::optional<vx::SandboxOptions> made = sandbox_options(options, snapshot->snapshot->options(), fn, status);
        if (!made) return status;
        auto handle = std::make_unique<vx_pool>(snapshot->snapshot, *made, max_sandboxes, snapshot->program);
        // The first sandbox now: options the snapshot cannot be restored
        // with are refused here, not at every take.
        handle->pool.take();
        *pool = handle.release();
        return VX_OK;
    });
}

void vx_pool_free(vx_pool* pool) { delete pool; }

vx_status vx_pool_take(vx_pool* pool, vx_lease** lease) {
    return take_lease(__func__, pool, lease,
                      [](vx::SandboxPool& p) { return std::optional<vx::SandboxPool::Lease>(p.take()); });
}

vx_status vx_pool_try_take(vx_pool* pool, vx_lease** lease) {
    return take_lease(__func__, pool, lease, [](vx::SandboxPool& p) { return p.try_take(); });
}

vx_sandbox* vx_lease_sandbox(vx_lease* lease) { return lease ? &lease->handle : nullptr; }

vx_status vx_lease_return(vx_lease* lease) {
    const char* const fn = __func__;
    VX_REQUIRE(lease);
    if (lease->handle.calls_running) return refuse_in_call(fn);
    delete lease;  // the Lease's end resets its sandbox into the pool, and throws nothing
    return VX_OK;
}

vx_status vx_pool_get_stats(const vx_pool* pool, vx_pool_stats* stats) {
    const char* const fn = __func__;
    VX_REQUIRE(pool);
    VX_REQUIRE(stats);
    return guarded(fn, VX_ERR_REFUSED, [&] {
        *stats = {pool->pool.max_size(), pool->pool.size(), pool->pool.idle()};
        return VX_OK;
    });
}

}  // extern "C"
