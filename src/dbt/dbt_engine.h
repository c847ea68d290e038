#pragma once
#include <csignal>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

#include "core/engine.h"
#include "dbt/code_cache.h"
#include "dbt/translator.h"
#include "x86/decoder.h"

namespace vx::dbt {

struct RuntimeContext;

// i386 guest code translated to x86-64 code whose every guest memory access
// is %gs-relative with a 32-bit address: confined to the guest's 4 GiB
// reservation by arithmetic. See docs/dbt-engine.md.
class DbtEngine final : public Engine {
public:
    DbtEngine(GuestMemory& memory, const EngineLimits& limits);
    ~DbtEngine() override;

    Event run(Registers& regs) override;
    void set_segment(SegmentRegister segment, uint16_t selector, uint32_t base) override;
    std::vector<uint8_t> extended_state() const override;
    bool set_extended_state(std::span<const uint8_t> image) override;
    void prepare_fork() override { cache_.prepare_fork(); }
    void finish_fork(bool in_child) override { cache_.finish_fork(in_child); }
    std::vector<HostRegion> host_regions() const override;
    void interrupt() override;
    std::optional<uint64_t> fuel() const override;
    void add_fuel(uint64_t instructions) override;
    uint64_t host_bytes() const override;
    void add_usage(Usage& usage) const override;

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

    void install_stubs();
    void flush();
    const Block* block_at(uint32_t eip);  // translates on demand
    uint64_t entry_if_translated(uint32_t eip) const;
    void remember_indirect_target(const Block& block);
    const Block* block_containing(uint64_t host_pc) const;
    // Carries out a string instruction at regs.eip; a fault event if it faults.
    std::optional<Event> emulate(Registers& regs);
    std::optional<Event> emulate_fxsave(Registers& regs, const x86::Instruction& insn);
    Event segment_load(Registers& regs);

    GuestMemory& memory_;
    CodeCache cache_;
    RuntimeLinks links_;
    uint64_t first_block_mark_ = 0;  // cache cursor after the shared stubs
    Translator translator_;
    GuardedMapping context_memory_;
    RuntimeContext* ctx_ = nullptr;  // in context_memory_
    size_t xsave_size_;
    GuardedMapping xsave_memory_;
    uint8_t* xsave_area_;  // in xsave_memory_
    SegmentBases segments_;
    uint64_t seen_exec_generation_ = 0;
    uint64_t flushes_ = 0;
    bool lookup_used_ = false;
    std::unordered_map<uint32_t, Block> blocks_;  // by guest eip
    std::map<uint64_t, uint32_t> blocks_by_host_; // host entry -> guest eip
    std::optional<HostFault> host_fault_;
};

}  // namespace vx::dbt
