#include "dbt/dbt_engine.h"

#include <sys/syscall.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "dbt/emit/emitter.h"
#include "dbt/runtime/runtime_context.h"
#include "dbt/runtime/signals.h"
#include "dbt/runtime/string_ops.h"
#include "vx/error.h"
#include "x86/decoder.h"
#include "x86/disassemble.h"
#include "x86/host_cpu.h"

namespace vx::dbt {
namespace {

FaultKind fault_kind_of(int signo, int code) {
    switch (signo) {
    case SIGSEGV: return code == SI_KERNEL ? FaultKind::GeneralProtection : FaultKind::PageFault;
    case SIGBUS: return code == BUS_ADRALN ? FaultKind::AlignmentCheck : FaultKind::PageFault;
    case SIGILL: return FaultKind::InvalidInstruction;
    case SIGFPE:
        return (code == FPE_INTDIV || code == FPE_INTOVF) ? FaultKind::DivideError
                                                          : FaultKind::FloatingPoint;
    default: return FaultKind::Breakpoint;
    }
}

size_t checked_code_cache_size(uint64_t size) {
    if (size < (1u << 20) || size > (1ull << 31))
        throw Error("the code cache must be between 1 MiB and 2 GiB");
    return size_t((size + kPageSize - 1) & ~uint64_t(kPageSize - 1));
}

size_t whole_pages(size_t bytes) { return (bytes + kPageSize - 1) & ~size_t(kPageSize - 1); }

const void* right_below(const uint8_t* above, size_t bytes) {
    const auto end = reinterpret_cast<uintptr_t>(above);
    return end > bytes ? reinterpret_cast<const void*>(end - bytes) : nullptr;
}

}  // namespace

DbtEngine::DbtEngine(GuestMemory& memory, const EngineLimits& limits, const DbtOptions& options,
                     const FlatSelectors& selectors)
    : memory_(memory),
      limits_(limits),
      // Below the guest's reservation when the host has room there: the
      // guard page on top then adds no mapping of its own (it and the
      // guest's inaccessible first pages are one).
      host_(host_bytes_for(checked_code_cache_size(options.code_cache)),
            right_below(memory.host_base(), host_bytes_for(checked_code_cache_size(options.code_cache)))),
      runtime_data_(map_runtime_data(host_)),
      cache_(checked_code_cache_size(options.code_cache), runtime_data_ + runtime_data_bytes(),
             emit_stubs(CodeCache::exec_base_at(runtime_data_ + runtime_data_bytes(),
                                                checked_code_cache_size(options.code_cache)))),
      translator_(memory, cache_, links_, limits.instructions.has_value()),
      // Fresh zero pages: an empty lookup table costs nothing until used.
      // Default-initialized, not value-initialized: `{}` would write zeros
      // over the whole lookup table and touch every one of its pages.
      ctx_(new (runtime_data_) RuntimeContext),
      xsave_size_(guest_xsave_layout().size),
      xsave_area_(runtime_data_ + xsave_area_offset()),
      fuel_window_(limits.instructions ? GuardedMapping(FUEL_WINDOW, PROT_READ) : GuardedMapping()),
      blocks_(*ctx_) {
    ctx_->stop_soon.store(0);
    // Zeros: XSTATE_BV 0, every component initial, but MXCSR, which is
    // loaded from the area whatever XSTATE_BV says.
    const uint32_t mxcsr = 0x1f80;
    std::memcpy(xsave_area_ + 24, &mxcsr, 4);
    segments_.flat = selectors;
    ctx_->xsave_area = xsave_area_;
    ctx_->xstate_gate = reinterpret_cast<uint64_t>(vx_dbt_xstate_load);
    ctx_->xstate_saves = 0;
    ctx_->guest_base = reinterpret_cast<uint64_t>(memory.host_base());
    ctx_->fuel = 0;
    ctx_->fuel_base = reinterpret_cast<uint64_t>(fuel_window_.data());
    if (limits.instructions) add_fuel(*limits.instructions);
    ctx_->miss_path = links_.miss_path;
    // (The cache is sealed: the writable view and its guard pages are one
    // host mapping until the translator needs it.)
    first_block_mark_ = cache_.cursor();
    seen_exec_generation_ = memory.exec_generation();
}

DbtEngine::~DbtEngine() = default;

size_t DbtEngine::host_bytes_for(size_t code_cache) {
    return kHostGuard + runtime_data_bytes() + CodeCache::span_bytes(code_cache);
}

// In the context's room for it, or (larger, with AMX) on pages after it.
size_t DbtEngine::xsave_area_offset() {
    return guest_xsave_layout().size <= sizeof RuntimeContext::xsave_room ? offsetof(RuntimeContext, xsave_room)
                                                                           : whole_pages(sizeof(RuntimeContext));
}

size_t DbtEngine::runtime_data_bytes() {
    return std::max(whole_pages(sizeof(RuntimeContext)), whole_pages(xsave_area_offset() + guest_xsave_layout().size));
}

// The runtime context and the guest's XSAVE area (see xsave_area_offset), one mapping of private
// zero pages above the reservation's guard page; the code cache's span
// (which starts with an inaccessible page) follows.
uint8_t* DbtEngine::map_runtime_data(const HostReservation& host) {
    uint8_t* at = host.data() + kHostGuard;
    if (mmap(at, runtime_data_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != at)
        throw Error(std::string("cannot map host memory: ") + strerror(errno));
    return at;
}

// Asked of the CPU once per process: each cpuid traps to the hypervisor on a
// virtual machine (tens of microseconds per new sandbox, for 62 components),
// and neither the area's size nor XCR0 changes while the process lives.
const DbtEngine::XsaveLayout& DbtEngine::guest_xsave_layout() {
    static const XsaveLayout layout = [] {
        XsaveLayout made{x86::xsave_area_size(), {}};
        const uint64_t enabled = x86::enabled_xstate_components();
        for (unsigned component = 2; component < 64; ++component) {
            const uint64_t bit = uint64_t(1) << component;
            if (!(XSTATE_GUEST_COMPONENTS & enabled & bit)) continue;
            const x86::XsaveRange range = x86::xsave_component_range(component);
            if (range.size && range.offset >= x86::kXsaveReservedEnd && range.offset + range.size <= made.size)
                made.components.push_back({bit, range});
        }
        return made;
    }();
    return layout;
}

std::vector<HostRegion> DbtEngine::host_regions() const {
    auto region = [](const char* what, const uint8_t* data, size_t size, bool executable = false) {
        return HostRegion{what, reinterpret_cast<uint64_t>(data), size, executable};
    };
    std::vector<HostRegion> regions = {
        region("runtime context and extended state", runtime_data_, runtime_data_bytes()),
        region("code cache", cache_.exec_view(), cache_.capacity(), true),
        region("code cache (writable view)", cache_.write_view(), cache_.capacity())};
    if (fuel_window_.data()) regions.push_back(region("fuel window", fuel_window_.data(), fuel_window_.size()));
    return regions;
}

std::vector<uint8_t> DbtEngine::emit_stubs(uint64_t exec_base) {
    std::vector<uint8_t> code(kPageSize);  // (they take some 100 bytes)
    Emitter out(code.data(), exec_base);
    const ZydisRegister ctx = ZYDIS_REGISTER_R15;

    links_.exit_stub = out.here();
    const ZydisRegister guest[8] = {ZYDIS_REGISTER_EAX, ZYDIS_REGISTER_ECX, ZYDIS_REGISTER_EDX,
                                    ZYDIS_REGISTER_EBX, ZYDIS_REGISTER_R12D, ZYDIS_REGISTER_EBP,
                                    ZYDIS_REGISTER_ESI, ZYDIS_REGISTER_EDI};
    for (int r = 0; r < 8; ++r) out.insn(ZYDIS_MNEMONIC_MOV, {mem(ctx, CTX_GPRS + 4 * r, 4), reg(guest[r])});
    out.insn(ZYDIS_MNEMONIC_PUSHFQ, {});
    out.insn(ZYDIS_MNEMONIC_POP, {reg(ZYDIS_REGISTER_R13)});
    out.insn(ZYDIS_MNEMONIC_MOV, {mem(ctx, CTX_EFLAGS, 4), reg(ZYDIS_REGISTER_R13D)});
    out.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_R13), imm(int64_t(&vx_dbt_exit))});
    out.insn(ZYDIS_MNEMONIC_JMP, {reg(ZYDIS_REGISTER_R13)});

    // Where an indirect branch whose target is not in the lookup table goes:
    // r10d = guest target, the guest's rcx in r11 (see BlockWriter::jump_indirect).
    // It starts with a gate slot's nop, as blocks do: a branch from a block
    // that loaded the extended state enters past it (an empty table slot
    // leads here).
    links_.miss_path = out.here();
    out.raw(kGateSlotNop, kGateSlotBytes);
    out.insn(ZYDIS_MNEMONIC_MOV, {reg(ZYDIS_REGISTER_RCX), reg(ZYDIS_REGISTER_R11)});
    out.insn(ZYDIS_MNEMONIC_MOV, {mem(ctx, CTX_EXIT_EIP, 4), reg(ZYDIS_REGISTER_R10D)});
    out.insn(ZYDIS_MNEMONIC_MOV, {mem(ctx, CTX_EXIT_CODE, 4), imm(EXIT_LOOKUP_MISS)});
    out.jump(links_.exit_stub);

    code.resize(out.size());
    return code;
}

void DbtEngine::flush() {
    blocks_.clear();
    next_block_ = nullptr;
    cache_.rewind(first_block_mark_);
    ++flushes_;
}

// The guest's state as saved on its way out (xsaveopt64, when a block had
// loaded it; the area holds it whenever the host has control), with the x87
// instruction and operand pointers cleared: in the 64-bit format they are
// the host addresses of translated code and of guest memory, and a signal
// frame hands this image to the guest.
namespace {
constexpr size_t kX87PointersAt = 8, kX87PointersEnd = 24;  // FIP, FCS, FDP, FDS (or the 64-bit FIP and FDP)
constexpr size_t kMxcsrMaskAt = 28, kMxcsrMaskEnd = 32;
}  // namespace

uint64_t DbtEngine::present_components() const {
    uint64_t xstate_bv;
    std::memcpy(&xstate_bv, xsave_area_ + x86::kXsaveHeader, 8);
    return xstate_bv;
}

// The whole area, with the x87 pointers cleared and the components XSTATE_BV
// does not mark present zeroed (their bytes in the area are stale: whatever
// a component held before it went back to its initial state).
std::vector<uint8_t> DbtEngine::extended_state() const {
    std::vector<uint8_t> image(xsave_area_, xsave_area_ + xsave_size_);
    std::memset(image.data() + kX87PointersAt, 0, kX87PointersEnd - kX87PointersAt);
    const uint64_t present = present_components();
    for (const XsaveComponent& component : guest_xsave_layout().components)
        if (!(present & component.bit)) std::memset(image.data() + component.range.offset, 0, component.range.size);
    return image;
}

// For a call, which puts the state back if the callee changed it: the
// legacy area, the header and the components present only (most guests have
// no AVX-512 state: a fifth of the area or less).
void DbtEngine::extended_state_into(std::vector<uint8_t>& image) const {
    image.resize(xsave_size_);
    std::memcpy(image.data(), xsave_area_, x86::kXsaveReservedEnd);
    std::memset(image.data() + kX87PointersAt, 0, kX87PointersEnd - kX87PointersAt);
    const uint64_t present = present_components();
    for (const XsaveComponent& component : guest_xsave_layout().components)
        if (present & component.bit)
            std::memcpy(image.data() + component.range.offset, xsave_area_ + component.range.offset,
                        component.range.size);
}

bool DbtEngine::extended_state_is(std::span<const uint8_t> image) const {
    // Compared but for the x87 pointers (host addresses in the area, zeros
    // in an image), MXCSR_MASK, which is the CPU's, not the guest's (xsave
    // writes it; an image set by the host may hold 0), and the components
    // neither marks present (the headers, XSTATE_BV included, are compared).
    if (image.size() != xsave_size_) return false;
    auto same = [&](size_t begin, size_t end) {
        return std::memcmp(image.data() + begin, xsave_area_ + begin, end - begin) == 0;
    };
    if (!same(0, kX87PointersAt) || !same(kX87PointersEnd, kMxcsrMaskAt) ||
        !same(kMxcsrMaskEnd, x86::kXsaveReservedEnd))
        return false;
    const uint64_t present = present_components();
    for (const XsaveComponent& component : guest_xsave_layout().components)
        if ((present & component.bit) && !same(component.range.offset, component.range.offset + component.range.size))
            return false;
    return true;
}

bool DbtEngine::set_extended_state(std::span<const uint8_t> image) {
    if (!x86::is_loadable_guest_xsave(image, xsave_size_)) return false;
    ++extended_state_sets_;
    std::memcpy(xsave_area_, image.data(), xsave_size_);
    // PKRU, which Linux's own frames carry, is ignored: the host's stays.
    uint64_t xstate_bv;
    std::memcpy(&xstate_bv, xsave_area_ + x86::kXsaveHeader, 8);
    xstate_bv &= XSTATE_GUEST_COMPONENTS;
    std::memcpy(xsave_area_ + x86::kXsaveHeader, &xstate_bv, 8);
    return true;
}

const Block* DbtEngine::block_at(uint32_t eip) {
    if (const Block* block = blocks_.find(eip)) return block;
    if (cache_.available() < Translator::kMaxBlockBytes) flush();
    const Block& kept = blocks_.add(translator_.translate(eip, segments_, [this](uint32_t target) {
        return blocks_.entry_if_translated(target);
    }));
    remember(kept);
    return &kept;
}

void DbtEngine::remember(const Block& block, bool protect_pages) {
    if (protect_pages && block.guest_end > block.guest_eip)
        for (uint64_t page = block.guest_eip & ~(kPageSize - 1); page < block.guest_end; page += kPageSize)
            if (!memory_.protect_code(uint32_t(page)) && !breach_)
                breach_ = memory_.host_mapping_breach();  // unprotected, it must not run
    ++translations_;
    update_peaks();
    if (limits_.memory && !breach_) {
        const uint64_t host = host_bytes(), total = memory_.own_bytes() + host;
        if (total > *limits_.memory) breach_ = LimitExceeded{Limit::Memory, total, *limits_.memory};
        // Others sharing the limit (the guest's other processes) learn of
        // the translations as they grow, not only at the next call.
        if (host < host_bytes_said_) host_bytes_said_ = host;  // flushed
        if (!breach_ && host >= host_bytes_said_ + kHostBytesStep) {
            host_bytes_said_ = host;
            if (!memory_.admit(0)) breach_ = LimitExceeded{Limit::Memory, total, *limits_.memory};
        }
    }
}

void DbtEngine::set_selectors(const FlatSelectors& selectors) {
    if (selectors == segments_.flat) return;
    segments_.flat = selectors;
    flush();  // folded into translated code
}

void DbtEngine::set_segment(SegmentRegister segment, uint16_t selector, uint32_t base) {
    SegmentBases next = segments_;
    (segment == SegmentRegister::fs ? next.fs : next.gs) = base;
    (segment == SegmentRegister::fs ? next.fs_selector : next.gs_selector) = selector;
    if (next == segments_) return;
    segments_ = next;
    flush();  // bases and selectors are folded into translated code
}

Segment DbtEngine::segment(SegmentRegister segment) const {
    return segment == SegmentRegister::fs ? Segment{segments_.fs_selector, segments_.fs}
                                          : Segment{segments_.gs_selector, segments_.gs};
}

void DbtEngine::guest_replaced(bool code_unchanged) {
    if (code_unchanged) next_block_ = nullptr;  // (made for the old guest's fuel)
    else flush();
    seen_exec_generation_ = memory_.exec_generation();
    host_bytes_said_ = 0;
    host_fault_.reset();
    stopped_block_insns_ = 0;
    if (breach_ && (breach_->limit == Limit::Memory || breach_->limit == Limit::HostMappings)) breach_.reset();
}

std::optional<Event> DbtEngine::load_segment(Registers& regs) {
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    x86::Instruction insn;
    x86::decode(bytes, x86::fetch(memory_, regs.eip, bytes), insn);  // it decoded when it was translated
    const SegmentRegister segment =
        insn.operands[0].reg.value == ZYDIS_REGISTER_FS ? SegmentRegister::fs : SegmentRegister::gs;
    ZydisRegister source = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LEGACY_32, insn.operands[1].reg.value);
    const uint16_t selector = uint16_t(regs.gpr(unsigned(source - ZYDIS_REGISTER_EAX)));
    const std::optional<uint32_t> base = descriptors_.resolve(selector);
    if (!base) return Event{EventKind::Fault, Fault{FaultKind::GeneralProtection, regs.eip, {}}};
    set_segment(segment, selector, *base);
    regs.eip += insn.length();
    return std::nullopt;
}

// fxsave as a 32-bit program's: 64-bit code would also write xmm8-15 (bytes
// 288-415, which the CPU leaves alone for it) and the low halves of the host's
// FPU instruction and data pointers. Those pointers read as 0.
std::optional<Event> DbtEngine::emulate_fxsave(Registers& regs, const x86::Instruction& insn) {
    const ZydisDecodedOperand& op = insn.operands[0];
    auto value_of = [&](ZydisRegister r) -> uint32_t {
        return r == ZYDIS_REGISTER_NONE ? 0 : regs.gpr(unsigned(r - ZYDIS_REGISTER_EAX));
    };
    uint32_t address = value_of(op.mem.base) + value_of(op.mem.index) * (op.mem.index ? op.mem.scale : 0) +
                       uint32_t(op.mem.disp.value) + fold_segment_base(op.mem.segment, segments_);
    if (address % 16) return Event{EventKind::Fault, Fault{FaultKind::GeneralProtection, regs.eip, {}}};
    constexpr size_t kLegacyBytes = 288;  // x87, MXCSR and xmm0-7
    uint8_t image[kLegacyBytes];
    std::memcpy(image, xsave_area_, kLegacyBytes);
    uint64_t xstate_bv;
    std::memcpy(&xstate_bv, xsave_area_ + 512, 8);
    if (!(xstate_bv & 1)) {  // x87 in its initial state: xsaveopt left the area as it was
        std::memset(image, 0, 24);
        std::memset(image + 32, 0, 128);
        image[0] = 0x7f, image[1] = 0x03;  // FCW
    }
    if (!(xstate_bv & 2)) std::memset(image + 160, 0, 128);
    std::memset(image + 8, 0, 8);   // FIP, FCS
    std::memset(image + 16, 0, 8);  // FDP, FDS
    const uint32_t supported_mxcsr = x86::mxcsr_mask();
    std::memcpy(image + 28, &supported_mxcsr, 4);
    // The operand is all 512 bytes, though the CPU writes only the first 288.
    if (!memory_.accessible(address, 512, kWrite))
        return Event{EventKind::Fault, Fault{FaultKind::PageFault, regs.eip, address}};
    memory_.write(address, image, kLegacyBytes);
    regs.eip += insn.length();
    return std::nullopt;
}

std::optional<Event> DbtEngine::emulate(Registers& regs) {
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    x86::Instruction insn;
    size_t fetched = x86::fetch(memory_, regs.eip, bytes);
    if (x86::decode(bytes, fetched, insn) == x86::DecodeStatus::Ok && insn.mnemonic() == ZYDIS_MNEMONIC_FXSAVE)
        return emulate_fxsave(regs, insn);
    auto stop_requested = [](const void* stop_soon) {
        return static_cast<const std::atomic<uint32_t>*>(stop_soon)->load(std::memory_order_acquire) != 0;
    };
    StringOpResult result = run_string_op(memory_, regs, stop_requested, &ctx_->stop_soon);
    if (result.stopped) return Event{EventKind::Interrupted};  // see run(): the request is taken there
    if (result.ok) return std::nullopt;
    return Event{EventKind::Fault, Fault{FaultKind::PageFault, regs.eip, result.fault_address}};
}

// A write the guest may not make yet: the host mappings limit (a breach of
// the engine's), or the memory its copy would cost was not admitted (the
// sandbox's breach, which it reports in place of this fault).
Event DbtEngine::refused_write(uint32_t eip, uint32_t address) {
    if (!breach_) breach_ = memory_.host_mapping_breach();
    if (breach_) return breach_event();
    return Event{EventKind::Fault, Fault{FaultKind::PageFault, eip, address}};
}

Event DbtEngine::breach_event() const {
    Event event{EventKind::LimitExceeded};
    event.limit_exceeded = *breach_;
    return event;
}

Event DbtEngine::stop() {
    // Cleared before the window opens: a stop_soon that comes between closes
    // it again after, and its mark stops the next entry.
    ctx_->stop_soon.store(0, std::memory_order_seq_cst);
    set_fuel_window(PROT_READ);
    // (A block stop_soon unchained stays so: each of its exits is chained
    // again the first time it is taken, as a new block's are, and the
    // lookup table fills again as branches miss. Flushing every translation
    // instead made each signal a guest catches cost its whole working set.)
    return Event{EventKind::Interrupted};
}

void DbtEngine::set_fuel_window(int prot) {
    if (fuel_window_.data()) mprotect(fuel_window_.data(), fuel_window_.size(), prot);
}

bool DbtEngine::settle_fuel_at_block(uint32_t eip, uint8_t insns) {
    if (!limits_.instructions || ctx_->fuel >= insns) return false;
    if (fuel_reserve_) {
        uint64_t more = std::min<uint64_t>(fuel_reserve_, FUEL_WINDOW - uint64_t(ctx_->fuel));
        fuel_reserve_ -= more;
        ctx_->fuel += int64_t(more);
        if (ctx_->fuel >= insns) return false;
    }
    if (ctx_->fuel == 0) {
        breach_ = LimitExceeded{Limit::Instructions, fuel_given_, fuel_given_};
        return true;
    }
    // Exactly the instructions the fuel covers, then a stop at the next block.
    next_block_ = short_block(eip, int(ctx_->fuel), true);
    return true;
}

const Block* DbtEngine::short_block(uint32_t eip, int insns, bool protect_pages) {
    if (cache_.available() < Translator::kMaxBlockBytes) flush();
    const Block& kept = blocks_.add_short(translator_.translate(eip, segments_, [this](uint32_t target) {
        return blocks_.entry_if_translated(target);
    }, insns));
    remember(kept, protect_pages);
    return &kept;
}

std::optional<uint64_t> DbtEngine::fuel() const {
    if (!limits_.instructions) return std::nullopt;
    return uint64_t(ctx_->fuel) + fuel_reserve_;
}

void DbtEngine::add_fuel(uint64_t instructions) {
    if (!limits_.instructions) throw Error("this sandbox counts no fuel: its limits gave none");
    fuel_given_ += instructions;
    fuel_reserve_ += instructions;
    if (breach_ && breach_->limit == Limit::Instructions) breach_.reset();
}

uint64_t DbtEngine::take_fuel() {
    if (!limits_.instructions) throw Error("this sandbox counts no fuel: its limits gave none");
    uint64_t left = uint64_t(ctx_->fuel) + fuel_reserve_;
    ctx_->fuel = 0;
    fuel_reserve_ = 0;
    fuel_given_ -= left;
    return left;
}

uint64_t DbtEngine::host_bytes() const {
    return cache_.used() + blocks_.host_bytes();
}

void DbtEngine::update_peaks() {
    code_cache_peak_ = std::max<uint64_t>(code_cache_peak_, cache_.used());
    memory_peak_ = std::max(memory_peak_, memory_.own_bytes() + host_bytes());
}

void DbtEngine::add_usage(Usage& usage) const {
    if (limits_.instructions) usage.instructions = fuel_given_ - *fuel();
    usage.memory = memory_.own_bytes() + host_bytes();
    usage.memory_peak = std::max(memory_peak_, usage.memory);
    usage.engine = {
        {"translations", translations_},
        {"code_cache_flushes", flushes_},
        {"code_cache_bytes", cache_.used()},
        {"code_cache_peak_bytes", std::max<uint64_t>(code_cache_peak_, cache_.used())},
        {"code_writes", code_writes_},  // guest writes to pages holding translated code
    };
}

void DbtEngine::restart_usage() {
    fuel_given_ = fuel().value_or(0);
    translations_ = flushes_ = code_writes_ = 0;
    code_cache_peak_ = cache_.used();
    memory_peak_ = memory_.own_bytes() + host_bytes();
}

Event DbtEngine::run(Registers& regs) {
    install_fault_handlers();
    set_thread_gs_base(reinterpret_cast<uint64_t>(memory_.host_base()));
    update_peaks();
    for (;;) {
        if (memory_.exec_generation() != seen_exec_generation_) {  // code changed: by the host, or unmapped
            flush();
            seen_exec_generation_ = memory_.exec_generation();
        }
        if (breach_) return breach_event();
        if (ctx_->stop_soon.load(std::memory_order_acquire)) return stop();
        const Block* block = next_block_ ? next_block_ : block_at(regs.eip);
        next_block_ = nullptr;
        if (breach_) return breach_event();
        std::memcpy(ctx_->gprs, &regs.eax, sizeof ctx_->gprs);
        ctx_->eflags = sanitize_eflags(regs.eflags);
        ctx_->enter_target = block->host_entry;
        ctx_->exit_eip = regs.eip;  // where vx_dbt_enter_stopped leaves
        stopped_block_insns_ = 0;
        host_fault_.reset();
        {
            RunningEngine running(this);
            cache_.seal();  // nothing writes translations while the guest runs
            vx_dbt_enter(ctx_);
        }
        std::memcpy(&regs.eax, ctx_->gprs, sizeof ctx_->gprs);
        regs.eflags = ctx_->eflags;
        const uint32_t code = ctx_->exit_code;
        const uint32_t target = ctx_->exit_eip;

        if (code >= EXIT_CODE_LIMIT) {  // an unchained direct branch: translate, link, go on
            uint64_t flushes_before = flushes_;
            const Block* next = block_at(target);
            uint64_t site = cache_.exec_base() + (code - EXIT_CODE_LIMIT);
            if (flushes_ == flushes_before) {
                const Block* from = blocks_.containing(site);
                const uint64_t entry = from ? chained_entry(*from, next->host_entry) : next->host_entry;
                Emitter::patch_rel32(cache_.writable(site), site, entry);
            }
            regs.eip = target;
            continue;
        }
        switch (code) {
        case EXIT_LOOKUP_MISS:
            blocks_.add_indirect_target(*block_at(target), links_.miss_path);
            regs.eip = target;
            continue;
        case EXIT_STOP:
            regs.eip = target;
            if (ctx_->stop_soon.load(std::memory_order_acquire)) continue;  // taken at the top
            if (stopped_block_insns_ && settle_fuel_at_block(target, stopped_block_insns_)) continue;
            // A stop already taken closed the window again after it (one that
            // comes since closes it again, and is taken at the top).
            set_fuel_window(PROT_READ);
            continue;
        case EXIT_CODE_WRITTEN:
            // Nothing translated from the page may run again. The writing
            // instruction runs alone, from a translation that leaves the page
            // writable (it may be on it), and what follows is translated anew.
            regs.eip = target;
            if (!memory_.release_code(written_code_)) return refused_write(target, written_code_);
            ++code_writes_;
            flush();
            next_block_ = short_block(target, 1, false);
            continue;
        case EXIT_COPY_WRITTEN:
            // The run's pages become the guest's own (a host copy each, once
            // written): the instruction runs again, writing this time.
            regs.eip = target;
            if (!memory_.release_copy(written_copy_)) return refused_write(target, written_copy_);
            continue;
        case EXIT_EMULATE:
            regs.eip = target;
            if (auto event = emulate(regs)) {
                if (event->kind == EventKind::Interrupted) continue;  // part done: the stop is taken at the top
                return *event;
            }
            if (limits_.instructions) --ctx_->fuel;  // the block gave it back for the host to take
            continue;
        case EXIT_SYSCALL:
            regs.eip = target;
            return Event{EventKind::Syscall};
        case EXIT_SEGMENT_LOAD:
            regs.eip = target;
            if (auto fault = load_segment(regs)) return *fault;
            if (limits_.instructions) --ctx_->fuel;  // the block gave it back for the host to take
            continue;
        case EXIT_BREAKPOINT: {
            uint8_t opcode = memory_.host_base()[target];
            regs.eip = target + (opcode == 0xcd ? 2 : 1);  // int $3, or int3 / int1
            return Event{EventKind::Fault, Fault{FaultKind::Breakpoint, target, {}}};
        }
        case EXIT_HOST_FAULT:
            regs.eip = host_fault_->eip;
            return Event{EventKind::Fault, Fault{host_fault_->kind, host_fault_->eip, host_fault_->address}};
        default: {
            regs.eip = target;
            auto kind = FaultKind(code - EXIT_FAULT_BASE);
            std::optional<uint32_t> address;
            if (kind == FaultKind::PageFault) address = target;  // an instruction fetch
            return Event{EventKind::Fault, Fault{kind, target, address}};
        }
        }
    }
}

void DbtEngine::leave_guest_code(void* ucv, const Block& block, const InsnRecord* record, uint32_t exit_code) {
    auto* uc = static_cast<ucontext_t*>(ucv);
    greg_t* g = uc->uc_mcontext.gregs;
    const int order[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_R12, REG_RBP, REG_RSI, REG_RDI};
    for (int r = 0; r < 8; ++r) ctx_->gprs[r] = uint32_t(g[order[r]]);
    ctx_->eflags = uint32_t(g[REG_EFL]);
    uint8_t fixup = record ? record->fixup : uint8_t(kNoFixup);
    // Host addresses back to guest ones: their offsets into the reservation.
    if (fixup & kHostEsi) ctx_->gprs[6] = uint32_t(uint64_t(g[REG_RSI]) - ctx_->guest_base);
    if (fixup & kHostEdi) ctx_->gprs[7] = uint32_t(uint64_t(g[REG_RDI]) - ctx_->guest_base);
    if (fixup & kFlagsInR13) ctx_->eflags = uint32_t(g[REG_R13]);
    if (fixup & kEspSwapped) std::swap(ctx_->gprs[4], ctx_->gprs[esp_swap_partner(fixup)]);
    // The block took fuel for all its instructions at its start.
    if (limits_.instructions) g[REG_R9] += block.insn_count - (record ? record->index : 0);
    ctx_->exit_code = exit_code;
    ctx_->exit_eip = record ? record->guest_eip : block.guest_eip;

    // Resume in vx_dbt_exit, which stores the guest's extended state (restored
    // by sigreturn) if a block had loaded it (ctx.xstate_gate says, memory the
    // signal leaves alone) and returns from vx_dbt_enter.
    g[REG_RIP] = reinterpret_cast<greg_t>(&vx_dbt_exit);
    g[REG_R15] = reinterpret_cast<greg_t>(ctx_);
    g[REG_EFL] = 0x202;
}

bool DbtEngine::on_guest_fault(int signo, const siginfo_t* info, void* ucv) {
    auto* uc = static_cast<ucontext_t*>(ucv);
    const uint64_t pc = uint64_t(uc->uc_mcontext.gregs[REG_RIP]);
    const Block* block = blocks_.containing(pc);
    if (!block || pc >= block->host_body_end) return false;
    if (pc < block->host_entry + block->prologue_end) {
        // The fuel check: the fuel ran out, or the window was closed for a stop.
        auto address = reinterpret_cast<uint64_t>(info->si_addr);
        auto window = reinterpret_cast<uint64_t>(fuel_window_.data());
        bool in_fuel_window = window && address >= window - GuardedMapping::kGuard && address < window + fuel_window_.size();
        if (signo != SIGSEGV || !in_fuel_window) return false;
        stopped_block_insns_ = block->insn_count;
        leave_guest_code(uc, *block, nullptr, EXIT_STOP);
        return true;
    }
    const InsnRecord* record = block->record_for(pc);
    if (!record) return false;

    HostFault fault{fault_kind_of(signo, info->si_code), record->guest_eip, {}};
    auto host_address = reinterpret_cast<uint64_t>(info->si_addr);
    auto base = reinterpret_cast<uint64_t>(memory_.host_base());
    if ((signo == SIGSEGV || signo == SIGBUS) && info->si_code != SI_KERNEL &&
        host_address >= base && host_address < base + kReservation) {
        uint64_t guest_address = host_address - base;
        fault.address = uint32_t(guest_address);
        if (guest_address >= memory_.size()) fault.kind = FaultKind::SegmentBounds;
        if (signo == SIGSEGV && info->si_code == SEGV_ACCERR && memory_.code_protected(uint32_t(guest_address))) {
            written_code_ = uint32_t(guest_address);
            leave_guest_code(uc, *block, record, EXIT_CODE_WRITTEN);
            return true;
        }
        if (signo == SIGSEGV && info->si_code == SEGV_ACCERR && memory_.copy_pending(uint32_t(guest_address))) {
            written_copy_ = uint32_t(guest_address);
            leave_guest_code(uc, *block, record, EXIT_COPY_WRITTEN);
            return true;
        }
    }
    host_fault_ = fault;
    leave_guest_code(uc, *block, record, EXIT_HOST_FAULT);
    return true;
}

void DbtEngine::stop_soon(void* ucv) {
    if (!ucv) {
        ctx_->stop_soon.store(1, std::memory_order_seq_cst);
        set_fuel_window(PROT_NONE);
        return;
    }
    if (!ctx_->stop_soon.load(std::memory_order_acquire)) return;
    auto* uc = static_cast<ucontext_t*>(ucv);
    greg_t* g = uc->uc_mcontext.gregs;
    uint64_t pc = uint64_t(g[REG_RIP]);
    if (pc >= uint64_t(vx_dbt_enter_looked) && pc < uint64_t(vx_dbt_enter_end)) {
        // Past vx_dbt_enter's look at the requests, not yet in guest code.
        g[REG_RIP] = reinterpret_cast<greg_t>(&vx_dbt_enter_stopped);
        return;
    }
    // In a gate loading the guest's extended state: it runs to its end and
    // returns into its block (the return address is at rsp in every gate),
    // which is stopped as any block is, but never left from inside the gate.
    const bool in_gate = pc >= uint64_t(vx_dbt_xstate_ready) && pc < uint64_t(vx_dbt_xstate_gates_end);
    if (in_gate) pc = *reinterpret_cast<const uint64_t*>(g[REG_RSP]);
    if (!cache_.contains(pc)) return;  // in the host: run() looks before it enters
    const Block* block = blocks_.containing(pc);
    if (!block) return;  // in the shared stubs: on the way out already
    const InsnRecord* record = block->record_for(pc);
    if (!in_gate && record && (record->fixup & kInterruptible) && pc == block->host_entry + record->host_offset) {
        stopped_block_insns_ = 0;
        leave_guest_code(uc, *block, record, EXIT_STOP);
        return;
    }
    if (limits_.instructions) return;  // the closed fuel window stops the next block
    // The block leaves at its end: its direct branches go to their stubs, and
    // an indirect one misses in the emptied lookup table. Both mend as the
    // guest runs on (see stop()).
    for (const Block::DirectExit& exit : block->exits) {
        uint64_t site = block->host_entry + exit.site;
        Emitter::patch_rel32(cache_.writable(site), site, block->host_entry + exit.stub);
    }
    cache_.seal();  // the guest goes on running
    blocks_.forget_indirect_targets();
}

std::vector<long> DbtEngine::host_calls() const {
    return {
        SYS_arch_prctl,  // %gs: the guest's memory
        SYS_rt_sigaction, SYS_rt_sigreturn,  // faults (runtime/signals.cpp)
        SYS_memfd_create,  // a forked child's own code cache
    };
}

static_assert(XSTATE_GUEST_COMPONENTS == x86::kGuestXstateComponents, "the runtime saves what a guest has");

std::string DbtEngine::describe_instruction(uint32_t eip) const { return x86::disassemble(memory_, eip); }

std::unique_ptr<Engine> make_dbt_engine(GuestMemory& memory, const SandboxOptions& options) {
    if (options.arch != Arch::i386)
        throw Error(std::string("the dbt engine runs i386 guests only, not ") + to_string(options.arch));
    return std::make_unique<DbtEngine>(memory, options.limits, options.dbt, options.selectors);
}

}  // namespace vx::dbt
