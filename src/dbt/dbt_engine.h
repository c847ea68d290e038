#pragma once
#include <csignal>
#include <memory>
#include <optional>

#include "core/engine.h"
#include "core/guarded_mapping.h"
#include "x86/host_cpu.h"
#include "dbt/cache/block_cache.h"
#include "dbt/cache/code_cache.h"
#include "dbt/runtime/runtime_context.h"
#include "dbt/translate/translator.h"
#include "x86/decoder.h"

namespace vx::dbt {

struct RuntimeContext;

// i386 guest code translated to x86-64 code whose every guest memory access
// is %gs-relative with a 32-bit address: confined to the guest's 4 GiB
// reservation by arithmetic. See docs/dbt-engine.md.
class DbtEngine final : public Engine {
public:
    DbtEngine(GuestMemory& memory, const EngineLimits& limits, const DbtOptions& options, const FlatSelectors& selectors);
    ~DbtEngine() override;

    // An i386 guest's (its factory refuses others; cpu.i386() throws for one).
    Event run(CpuState& cpu) override { return run(cpu.i386()); }
    void set_segment(SegmentRegister segment, uint16_t selector, uint32_t base) override;
    void set_descriptors(const SegmentDescriptors& descriptors) override { descriptors_ = descriptors; }
    void set_selectors(const FlatSelectors& selectors) override;
    std::vector<uint8_t> extended_state() const override;
    bool set_extended_state(std::span<const uint8_t> image) override;
    void extended_state_into(std::vector<uint8_t>& image) const override;
    bool extended_state_is(std::span<const uint8_t> image) const override;
    std::optional<uint64_t> extended_state_version() const override { return ctx_->xstate_saves + extended_state_sets_; }
    bool prepare_fork() override { return cache_.prepare_fork(); }
    void finish_fork(bool in_child) override { cache_.finish_fork(in_child); }
    std::vector<long> host_calls() const override;
    std::string describe_instruction(uint32_t eip) const override;
    std::vector<HostRegion> host_regions() const override;
    Segment segment(SegmentRegister segment) const override;
    void guest_replaced(bool code_unchanged) override;
    // A stop: with `uc` null (any thread), the mark vx_dbt_enter looks at
    // and, with fuel, the fuel window closed (every block loads from it
    // first); in the interrupt signal's handler on the thread running the
    // guest, a rep string instruction at the interrupted pc stops where it
    // is, and any other block leaves at its end (with fuel, the closed
    // window stops the next block).
    void stop_soon(void* uc) override;
    bool limit_reached() const override { return breach_.has_value(); }
    std::optional<uint64_t> fuel() const override;
    void add_fuel(uint64_t instructions) override;
    uint64_t take_fuel() override;
    uint64_t host_bytes() const override;
    void add_usage(Usage& usage) const override;
    void restart_usage() override;

    // Called by the fault handler for a fault at `pc` in this engine's code
    // cache: records the precise guest state and redirects the context to the
    // exit path. Returns false when `pc` is not guest code.
    bool on_guest_fault(int signo, const siginfo_t* info, void* uc);
    bool owns(uint64_t pc) const { return cache_.contains(pc); }

private:
    struct HostFault {
        FaultKind kind;
        uint32_t eip;
        std::optional<uint32_t> address;
    };

    Event run(Registers& regs);
    // The exit stub and the miss path, made for a cache whose code starts
    // at `exec_base`; links_ names them.
    std::vector<uint8_t> emit_stubs(uint64_t exec_base);
    void flush();
    const Block* block_at(uint32_t eip);  // translates on demand
    // For faults, stats and the memory limit; and its guest pages are
    // write-protected (unless it is to run once, as it changes its own page).
    void remember(const Block& block, bool protect_pages = true);
    const Block* short_block(uint32_t eip, int insns, bool protect_pages);
    // Where the host resumes a guest stopped in its code at `record` of
    // `block` (none: at the block's start): the guest state taken from the
    // signal's context, the fuel of the instructions that did not run given
    // back, and the context sent to vx_dbt_exit.
    void leave_guest_code(void* uc, const Block& block, const InsnRecord* record, uint32_t exit_code);
    // Stops for stop_soon: its mark cleared, the fuel window open again, the
    // blocks chained again; core says what the stop was for.
    Event stop();
    void set_fuel_window(int prot);
    // After a stop at the start of a block of `insns` instructions: true when
    // the fuel left does not cover them (then the next block to run is a
    // shorter one, or the fuel is gone).
    bool settle_fuel_at_block(uint32_t eip, uint8_t insns);
    Event refused_write(uint32_t eip, uint32_t address);
    Event breach_event() const;
    void update_peaks();
    // Carries out a string instruction at regs.eip; a fault event if it
    // faults, Interrupted when a stop request cut it short.
    std::optional<Event> emulate(Registers& regs);
    std::optional<Event> emulate_fxsave(Registers& regs, const x86::Instruction& insn);
    // Carries out the `mov fs/gs, r` at regs.eip as the CPU would, from
    // descriptors_; the fault when the CPU would refuse it.
    std::optional<Event> load_segment(Registers& regs);

    GuestMemory& memory_;
    EngineLimits limits_;
    // One reservation for the engine's host memory: a guard page, the
    // runtime data (context, then the XSAVE area), the code cache's span.
    static constexpr size_t kHostGuard = 4096;
    static size_t runtime_data_bytes();
    static size_t xsave_area_offset();
    static size_t host_bytes_for(size_t code_cache);
    static uint8_t* map_runtime_data(const HostReservation& host);
    HostReservation host_;
    uint8_t* runtime_data_;
    RuntimeLinks links_;  // (set by emit_stubs, for cache_)
    CodeCache cache_;
    uint64_t first_block_mark_ = 0;  // cache cursor after the shared stubs
    Translator translator_;
    RuntimeContext* ctx_ = nullptr;  // in runtime_data_
    size_t xsave_size_;
    uint8_t* xsave_area_;  // in runtime_data_, past the context
    uint64_t extended_state_sets_ = 0;  // by set_extended_state
    // Components 2 and up a guest has (AVX, AVX-512's) and where they lie:
    // an image holds only those its XSTATE_BV marks present.
    struct XsaveComponent {
        uint64_t bit;
        x86::XsaveRange range;
    };
    struct XsaveLayout {
        size_t size;
        std::vector<XsaveComponent> components;
    };
    static const XsaveLayout& guest_xsave_layout();
    uint64_t present_components() const;
    GuardedMapping fuel_window_;  // with fuel: read-only zero pages r9 points into (CTX_FUEL_BASE)
    SegmentBases segments_;
    SegmentDescriptors descriptors_;
    uint64_t seen_exec_generation_ = 0;
    uint64_t flushes_ = 0;
    BlockCache blocks_;
    std::optional<HostFault> host_fault_;

    uint8_t stopped_block_insns_ = 0;   // of the block whose start an EXIT_STOP was at (0: elsewhere)
    const Block* next_block_ = nullptr; // to run instead of the one at eip (a short one)
    uint64_t fuel_given_ = 0;           // in all
    uint64_t fuel_reserve_ = 0;         // not yet in ctx_->fuel (which holds at most FUEL_WINDOW)
    std::optional<LimitExceeded> breach_;
    uint64_t translations_ = 0;
    uint64_t code_cache_peak_ = 0;
    uint64_t memory_peak_ = 0;
    uint64_t code_writes_ = 0;
    uint32_t written_code_ = 0;         // the guest address of an EXIT_CODE_WRITTEN
    uint32_t written_copy_ = 0;         // the guest address of an EXIT_COPY_WRITTEN
    // host_bytes() when the memory admission last heard of it (see remember).
    uint64_t host_bytes_said_ = 0;
    static constexpr uint64_t kHostBytesStep = 256u << 10;
};

std::unique_ptr<Engine> make_dbt_engine(GuestMemory& memory, const SandboxOptions& options);

}  // namespace vx::dbt
