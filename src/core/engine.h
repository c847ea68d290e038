#pragma once
// The one interface both isolation engines implement. Everything above it
// (Sandbox, personalities, tools) is engine-agnostic.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vx/event.h"
#include "vx/guest_memory.h"
#include "vx/registers.h"
#include "vx/sandbox.h"
#include "vx/segment_descriptors.h"

namespace vx {

class Engine {
public:
    virtual ~Engine() = default;
    // Runs the guest from `regs` until something needs its host; `regs` then
    // holds the guest's state at that point.
    virtual Event run(Registers& regs) = 0;
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
    // limit it found the old guest past no longer holds; its fuel, time and
    // time limits stay as they are.
    virtual Segment segment(SegmentRegister segment) const = 0;
    virtual void guest_replaced(bool code_unchanged) = 0;
    // The engine's own host data (Sandbox::host_regions).
    virtual std::vector<HostRegion> host_regions() const = 0;

    // Limits (see Sandbox): the engine stops the guest itself for fuel, CPU
    // and wall time, and for memory its own data makes it exceed.
    virtual void interrupt() = 0;  // any thread
    // Sandbox::stop_pending and blocking_host_call, for the engine's own stops.
    virtual bool stop_pending() const = 0;
    virtual long blocking_host_call(long number, const std::array<long, 6>& args) = 0;
    virtual std::optional<uint64_t> fuel() const = 0;
    virtual void add_fuel(uint64_t instructions) = 0;
    virtual uint64_t take_fuel() = 0;
    virtual void set_cpu_time_limit(uint64_t ns) = 0;
    // Bytes of host memory the engine spends on the guest now (translations,
    // their bookkeeping, lookup tables), for the memory limit.
    virtual uint64_t host_bytes() const = 0;
    virtual void add_usage(Usage& usage) const = 0;
};

}  // namespace vx
