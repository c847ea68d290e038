#pragma once
// The one interface both isolation engines implement. Everything above it
// (Sandbox, personalities, tools) is engine-agnostic.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vx/cpu_state.h"
#include "vx/event.h"
#include "vx/guest_memory.h"
#include "vx/registers.h"
#include "vx/sandbox.h"
#include "vx/segment_descriptors.h"

namespace vx {

class Engine {
public:
    virtual ~Engine() = default;
    // Runs the guest from `cpu` until something needs its host; `cpu` then
    // holds the guest's state at that point. Its arch is the one the engine
    // was made for (SandboxOptions::arch); the engine's factory refuses
    // options with an arch it does not run. Core calls it on a thread with
    // an alternate signal stack (the engine's own handlers may use
    // SA_ONSTACK). Once stop_soon was called (before this run began or
    // during it), it returns Interrupted soon, and enters no guest code
    // again before: core says what the stop was for (an interrupt, a time
    // limit) or, when nothing is left to stop for, runs it again.
    virtual Event run(CpuState& cpu) = 0;
    // What the guest's %fs or %gs hold: a selector it reads back and the base
    // its accesses through that register add (Linux TLS).
    virtual void set_segment(SegmentRegister segment, uint16_t selector, uint32_t base) = 0;
    // What the guest's own loads of %fs and %gs resolve against
    // (Sandbox::set_descriptor): a load the table refuses (resolve) is a
    // GeneralProtection fault at the loading instruction, as on a CPU.
    virtual void set_descriptors(const SegmentDescriptors& descriptors) = 0;
    // What the guest reads from cs and from ds, es, ss (Sandbox::set_selectors;
    // at first, SandboxOptions::selectors).
    virtual void set_selectors(const FlatSelectors& selectors) = 0;
    // The guest's x87/SSE/AVX registers as an XSAVE image (standard format);
    // setting checks the image first and refuses (false) one the CPU would
    // fault on.
    virtual std::vector<uint8_t> extended_state() const = 0;
    virtual bool set_extended_state(std::span<const uint8_t> image) = 0;
    // The same image written into `image`, whose memory is reused; and
    // whether the state is `image` now: for a call into the guest, which
    // puts the state back only when the callee changed it. These defaults
    // copy; an engine may do better.
    virtual void extended_state_into(std::vector<uint8_t>& image) const { image = extended_state(); }
    virtual bool extended_state_is(std::span<const uint8_t> image) const {
        const std::vector<uint8_t> now = extended_state();
        return std::equal(now.begin(), now.end(), image.begin(), image.end());
    }
    // A value that stays the same as long as the extended state does (it
    // changes when the guest may have changed it, or the host set it); none
    // from an engine that cannot tell. A call skips the copy and the
    // comparison above when it is the same as the last time it looked.
    virtual std::optional<uint64_t> extended_state_version() const { return std::nullopt; }
    // Around a host fork(): whatever host state fork would leave shared
    // (it copies private memory only) is made the child's own.
    // prepare_fork is false (errno says why) when the host refused what a
    // child needs: then there is no fork.
    virtual bool prepare_fork() = 0;
    virtual void finish_fork(bool in_child) = 0;
    // The host system calls (x86-64 numbers) the engine makes while its guest
    // runs (Sandbox::host_calls), any arguments allowed. Those the host gets
    // from its C library in any case (memory, mprotect, futex) are not named.
    virtual std::vector<long> host_calls() const = 0;
    // The guest instruction at `eip`, in words for people (Sandbox::describe_instruction).
    virtual std::string describe_instruction(uint32_t eip) const = 0;
    // Snapshots: what %fs or %gs hold (as set_segment left them). And the
    // guest was replaced whole (Sandbox::restore): its memory's contents,
    // registers and extended state are another's now. Nothing the engine
    // derived from the old guest may be used again (a fault or a block it
    // meant to run next; code translated or checked, lookup tables), but
    // with `code_unchanged` (GuestMemory::code_unchanged) what it made from
    // the pages it protected as code may stay. A memory or host-mappings
    // limit it found the old guest past no longer holds; its fuel stays as it
    // is (time and its limits are core's).
    virtual Segment segment(SegmentRegister segment) const = 0;
    virtual void guest_replaced(bool code_unchanged) = 0;
    // The engine's own host data (Sandbox::host_regions).
    virtual std::vector<HostRegion> host_regions() const = 0;

    // Asks run() to return Interrupted soon (interrupt(), a time limit: core's
    // RunControl). Async-signal-safe. Called with `ucontext` null on the
    // thread that asked, whichever it is; and, while run() runs, again on its
    // thread from the interrupt signal's handler, with the interrupted
    // context (which it may change, to leave guest code). run() looks for a
    // stop before it enters guest code: core calls stop_soon(nullptr) before
    // it reads whether a thread is in run(), and publishes that thread before
    // calling run(), so either the look sees the stop or the signal comes.
    virtual void stop_soon(void* ucontext) = 0;
    // Limits the engine keeps itself (fuel; memory its own data makes the
    // guest exceed): one was reached, and run() stops with it at once.
    virtual bool limit_reached() const = 0;
    virtual std::optional<uint64_t> fuel() const = 0;
    virtual void add_fuel(uint64_t instructions) = 0;
    virtual uint64_t take_fuel() = 0;
    // Bytes of host memory the engine spends on the guest now (translations,
    // their bookkeeping, lookup tables), for the memory limit.
    virtual uint64_t host_bytes() const = 0;
    // What it used (fuel, memory, its own counts); the times are core's.
    // Counting starts again, for a new sandbox made of this engine (a kept
    // one, Snapshot::keep_sandboxes): no instructions run, no translations
    // or flushes, peaks as things are now.
    // (Only the engines this build has are ever reused so: none by default.)
    virtual void restart_usage() {}
    virtual void add_usage(Usage& usage) const = 0;
};

}  // namespace vx
