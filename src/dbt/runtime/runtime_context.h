#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "dbt/runtime/runtime_layout.h"

namespace vx::dbt {

inline constexpr uint32_t kLookupEntries = 1u << 16;  // indexed by the target's low 16 bits

// The state translated code and runtime.S share; see runtime_layout.h.
struct alignas(64) RuntimeContext {
    uint32_t gprs[8];
    uint32_t eip;
    uint32_t eflags;
    uint32_t exit_code;
    uint32_t exit_eip;
    uint64_t host_rsp;
    uint8_t* xsave_area;
    uint64_t enter_target;
    uint16_t host_fcw;
    uint16_t unused0;
    uint32_t host_mxcsr;
    uint64_t miss_path;
    uint64_t guest_base;
    int64_t fuel;
    uint64_t fuel_base;
    std::atomic<uint32_t> stop_soon;  // nonzero: DbtEngine::stop_soon was called, run() has not stopped for it yet
    uint32_t unused1;
    // vx_dbt_xstate_load whenever the host has control (the save area holds
    // the guest's extended state), vx_dbt_xstate_ready once a block loaded it.
    uint64_t xstate_gate;
    uint8_t x87_image[108];
    uint8_t unused2[CTX_XSTATE_SPILL - CTX_X87_IMAGE - 108];
    uint64_t xstate_spill[3];
    // Each save may have changed the area: DbtEngine::extended_state_version.
    uint64_t xstate_saves;
    uint8_t unused3[CTX_XSAVE_ROOM - CTX_XSTATE_SAVES - 8];
    // The guest's XSAVE area when it fits, on the context's first page
    // (one page fewer for a new sandbox to fault in and keep resident).
    alignas(64) uint8_t xsave_room[CTX_LOOKUP_KEYS - CTX_XSAVE_ROOM];
    // An all-zero table is an empty one: key 0 (~0xffffffff) "hits" only for
    // eip 0xffffffff, and target 0 leads to the miss path, which asks the host.
    uint32_t lookup_keys[kLookupEntries];     // ~eip: `lea ecx, [key + eip + 1]` is zero on a hit
    uint64_t lookup_targets[kLookupEntries];  // the block's host entry - miss_path
};

static_assert(offsetof(RuntimeContext, gprs) == CTX_GPRS);
static_assert(offsetof(RuntimeContext, eip) == CTX_EIP);
static_assert(offsetof(RuntimeContext, eflags) == CTX_EFLAGS);
static_assert(offsetof(RuntimeContext, exit_code) == CTX_EXIT_CODE);
static_assert(offsetof(RuntimeContext, exit_eip) == CTX_EXIT_EIP);
static_assert(offsetof(RuntimeContext, host_rsp) == CTX_HOST_RSP);
static_assert(offsetof(RuntimeContext, xsave_area) == CTX_XSAVE_AREA);
static_assert(offsetof(RuntimeContext, enter_target) == CTX_ENTER_TARGET);
static_assert(offsetof(RuntimeContext, host_fcw) == CTX_HOST_FCW);
static_assert(offsetof(RuntimeContext, host_mxcsr) == CTX_HOST_MXCSR);
static_assert(offsetof(RuntimeContext, miss_path) == CTX_MISS_PATH);
static_assert(offsetof(RuntimeContext, guest_base) == CTX_GUEST_BASE);
static_assert(offsetof(RuntimeContext, fuel) == CTX_FUEL);
static_assert(offsetof(RuntimeContext, fuel_base) == CTX_FUEL_BASE);
static_assert(offsetof(RuntimeContext, stop_soon) == CTX_STOP_SOON);
static_assert(sizeof(std::atomic<uint32_t>) == 4 && std::atomic<uint32_t>::is_always_lock_free);
static_assert(offsetof(RuntimeContext, xstate_gate) == CTX_XSTATE_GATE);
static_assert(offsetof(RuntimeContext, x87_image) == CTX_X87_IMAGE);
static_assert(offsetof(RuntimeContext, xstate_spill) == CTX_XSTATE_SPILL);
static_assert(offsetof(RuntimeContext, xstate_saves) == CTX_XSTATE_SAVES);
static_assert(offsetof(RuntimeContext, xsave_room) == CTX_XSAVE_ROOM);
static_assert(offsetof(RuntimeContext, lookup_keys) == CTX_LOOKUP_KEYS);

static_assert(offsetof(RuntimeContext, lookup_targets) == CTX_LOOKUP_TARGETS);

extern "C" void vx_dbt_enter(RuntimeContext* ctx);
extern "C" void vx_dbt_exit();  // %r15 = ctx, guest state stored
// The stretch of vx_dbt_enter after its look at stop_soon: a stop asked
// for there leaves through vx_dbt_enter_stopped (the guest state is still
// all in the context).
extern "C" char vx_dbt_enter_looked[], vx_dbt_enter_end[];
extern "C" void vx_dbt_enter_stopped();
// The gate a block calls at its start when it has an instruction that may
// touch x87 or vector state (see runtime.S): the loader puts the guest's extended state
// in the CPU and points CTX_XSTATE_GATE at the ready stub, a lone `ret`.
// Neither pushes anything: in both, at every instruction, the return address
// into the block is at [rsp].
extern "C" char vx_dbt_xstate_ready[], vx_dbt_xstate_load[], vx_dbt_xstate_gates_end[];

}  // namespace vx::dbt
