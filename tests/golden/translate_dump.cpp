// Prints the x86-64 code the translator writes for a piece of guest i386
// code: for each block, each guest instruction followed by the host
// instructions of its translation (bytes and Intel syntax), then the block's
// exit stubs. The golden files in tests/golden/expected are its output.
//
// Nothing in the output depends on where the host put things: a branch into
// the code cache names what it reaches (exit_stub, miss_path, a block, or an
// offset in this block), a runtime context field is named by its offset's
// name, and host offsets count from the block's start.
//
//   translate_dump [--fuel] [--fs-base=N] [--gs-base=N] [--fs-selector=N] [--gs-selector=N]
//                  [--max-insns=N] CODE.bin
//
// CODE.bin is raw guest code, loaded at kLoadAddress; blocks are translated
// one after the other from its start until its end. A direct branch to a
// block already translated is chained to it (the translator asks), any other
// goes to its stub.
#include <Zydis/Zydis.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "dbt/cache/code_cache.h"
#include "dbt/runtime/runtime_layout.h"
#include "dbt/translate/translator.h"
#include "vx/event.h"
#include "x86/decoder.h"
#include "x86/disassemble.h"

namespace {

using vx::dbt::Block;
using vx::dbt::InsnRecord;

constexpr uint32_t kLoadAddress = 0x10000;
// The cache starts with stand-ins for the engine's shared stubs.
constexpr uint32_t kExitStubOffset = 0, kMissPathOffset = 16, kStandInBytes = 32;

// cs, ds, es and ss read as a Linux i386 program's do.
vx::dbt::SegmentBases linux_program_segments() {
    vx::dbt::SegmentBases segments;
    segments.flat = {0x23, 0x2b};
    return segments;
}

struct Options {
    bool fuel = false;
    vx::dbt::SegmentBases segments = linux_program_segments();
    int max_insns = vx::dbt::Translator::kMaxInsnsPerBlock;
    std::string code_file;
};

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "translate_dump: %s\n"
                 "usage: translate_dump [--fuel] [--fs-base=N] [--gs-base=N] [--fs-selector=N] [--gs-selector=N]\n"
                 "                      [--max-insns=N] CODE.bin\n",
                 why);
    std::exit(2);
}

uint32_t number(const std::string& text) {
    char* end = nullptr;
    unsigned long value = std::strtoul(text.c_str(), &end, 0);
    if (text.empty() || *end || value > 0xffffffffu) usage(("not a number: " + text).c_str());
    return uint32_t(value);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto value_of = [&](const char* name) -> const char* {
            size_t n = std::strlen(name);
            return arg.compare(0, n, name) == 0 ? arg.c_str() + n : nullptr;
        };
        if (arg == "--fuel") o.fuel = true;
        else if (const char* v = value_of("--fs-base=")) o.segments.fs = number(v);
        else if (const char* v = value_of("--gs-base=")) o.segments.gs = number(v);
        else if (const char* v = value_of("--fs-selector=")) o.segments.fs_selector = uint16_t(number(v));
        else if (const char* v = value_of("--gs-selector=")) o.segments.gs_selector = uint16_t(number(v));
        else if (const char* v = value_of("--max-insns=")) o.max_insns = int(number(v));
        else if (arg[0] == '-') usage(("unknown option " + arg).c_str());
        else if (o.code_file.empty()) o.code_file = arg;
        else usage("one code file only");
    }
    if (o.code_file.empty()) usage("no code file");
    if (o.max_insns < 1 || o.max_insns > vx::dbt::Translator::kMaxInsnsPerBlock) usage("--max-insns out of range");
    return o;
}

std::string hex(uint64_t value, int digits = 0) {
    char text[32];
    std::snprintf(text, sizeof text, "0x%0*llx", digits, static_cast<unsigned long long>(value));
    return text;
}

const char* context_field(int64_t offset) {
    switch (offset) {
    case CTX_EIP: return "ctx.eip";
    case CTX_EFLAGS: return "ctx.eflags";
    case CTX_EXIT_CODE: return "ctx.exit_code";
    case CTX_EXIT_EIP: return "ctx.exit_eip";
    case CTX_HOST_RSP: return "ctx.host_rsp";
    case CTX_XSAVE_AREA: return "ctx.xsave_area";
    case CTX_MISS_PATH: return "ctx.miss_path";
    case CTX_GUEST_BASE: return "ctx.guest_base";
    case CTX_FUEL: return "ctx.fuel";
    case CTX_FUEL_BASE: return "ctx.fuel_base";
    case CTX_STOP_SOON: return "ctx.stop_soon";
    case CTX_XSTATE_GATE: return "ctx.xstate_gate";
    case CTX_LOOKUP_KEYS: return "ctx.lookup_keys";
    case CTX_LOOKUP_TARGETS: return "ctx.lookup_targets";
    default: return nullptr;
    }
}

std::string context_field_name(int64_t offset) {
    if (const char* name = context_field(offset)) return name;
    if (offset >= CTX_GPRS && offset < CTX_GPRS + 32 && offset % 4 == 0) {
        static const char* const kGprs[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        return std::string("ctx.gprs.") + kGprs[offset / 4];
    }
    if (offset >= CTX_X87_IMAGE && offset < CTX_X87_IMAGE + 108) return "ctx.x87_image+" + std::to_string(offset - CTX_X87_IMAGE);
    return "";
}

// What the formatter hooks need to name host addresses.
struct Symbols {
    uint64_t cache_base = 0;
    uint64_t exit_stub = 0, miss_path = 0;
    uint64_t block_entry = 0;                 // of the block being printed
    std::map<uint64_t, uint32_t> entries;     // host entry -> guest eip, of every block

    std::string name(uint64_t address) const {
        if (address == exit_stub) return "exit_stub";
        if (address == miss_path) return "miss_path";
        auto it = entries.upper_bound(address);
        if (it != entries.begin()) {
            --it;
            if (it->first == block_entry) return "+" + hex(address - block_entry, 4);
            std::string block = "block_" + hex(it->second, 8);
            return address == it->first ? block : block + "+" + hex(address - it->first, 4);
        }
        return "cache+" + hex(address - cache_base);
    }
};

ZydisFormatterFunc default_print_address_abs = nullptr;
ZydisFormatterFunc default_print_disp = nullptr;

ZyanStatus append(ZydisFormatterBuffer* buffer, ZydisTokenType token, const std::string& text) {
    ZYAN_CHECK(ZydisFormatterBufferAppend(buffer, token));
    ZyanString* string;
    ZYAN_CHECK(ZydisFormatterBufferGetString(buffer, &string));
    ZyanStringView view;
    ZYAN_CHECK(ZyanStringViewInsideBuffer(&view, text.c_str()));
    return ZyanStringAppend(string, &view);
}

// Branch targets in the code cache by name; any other absolute address
// (a guest one) as Zydis prints it.
ZyanStatus print_address_abs(const ZydisFormatter* formatter, ZydisFormatterBuffer* buffer,
                             ZydisFormatterContext* context) {
    const auto& symbols = *static_cast<const Symbols*>(context->user_data);
    ZyanU64 address;
    if (context->operand->type == ZYDIS_OPERAND_TYPE_IMMEDIATE && context->operand->imm.is_relative &&
        ZYAN_SUCCESS(ZydisCalcAbsoluteAddress(context->instruction, context->operand, context->runtime_address,
                                              &address)))
        return append(buffer, ZYDIS_TOKEN_SYMBOL, symbols.name(address));
    return default_print_address_abs(formatter, buffer, context);
}

// [r15 + CTX_...] by the context field's name.
ZyanStatus print_disp(const ZydisFormatter* formatter, ZydisFormatterBuffer* buffer, ZydisFormatterContext* context) {
    const ZydisDecodedOperand& op = *context->operand;
    if (op.mem.base == ZYDIS_REGISTER_R15) {
        std::string name = context_field_name(op.mem.disp.value);
        if (!name.empty()) return append(buffer, ZYDIS_TOKEN_SYMBOL, "+" + name);
    }
    return default_print_disp(formatter, buffer, context);
}

class Printer {
public:
    Printer(const vx::GuestMemory& memory, vx::dbt::CodeCache& cache, Symbols& symbols)
        : memory_(memory), cache_(cache), symbols_(symbols) {
        ZydisDecoderInit(&decoder_, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
        ZydisFormatterInit(&formatter_, ZYDIS_FORMATTER_STYLE_INTEL);
        default_print_address_abs = replace(ZYDIS_FORMATTER_FUNC_PRINT_ADDRESS_ABS, &print_address_abs);
        default_print_disp = replace(ZYDIS_FORMATTER_FUNC_PRINT_DISP, &print_disp);
    }

    // `end`: where the next block starts.
    void print(const Block& block, uint64_t end);

private:
    // Installs `hook`; returns the function it replaces.
    ZydisFormatterFunc replace(ZydisFormatterFunction which, ZydisFormatterFunc hook) {
        const void* function = reinterpret_cast<const void*>(hook);
        ZydisFormatterSetHook(&formatter_, which, &function);
        return reinterpret_cast<ZydisFormatterFunc>(function);
    }
    void print_guest(uint32_t eip);
    void print_host(uint64_t pc, const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops,
                    const Block& block);
    std::string note(uint64_t pc, const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops,
                     const Block& block) const;

    const vx::GuestMemory& memory_;
    vx::dbt::CodeCache& cache_;
    Symbols& symbols_;
    ZydisDecoder decoder_;
    ZydisFormatter formatter_;
};

std::string fixup_text(uint8_t fixup) {
    using namespace vx::dbt;
    if (fixup == kNoFixup) return "none";
    static const char* const kRegs[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    std::string text;
    auto add = [&](const std::string& what) { text += (text.empty() ? "" : ", ") + what; };
    if (fixup & kHostEdi) add("edi is a host address");
    if (fixup & kHostEsi) add("esi is a host address");
    if (fixup & kFlagsInR13) add("guest flags in r13");
    if (fixup & kEspSwapped) add(std::string("esp exchanged with ") + kRegs[esp_swap_partner(fixup)]);
    if (fixup & kInterruptible) add("interruptible");
    return text;
}

void Printer::print_guest(uint32_t eip) {
    uint8_t bytes[ZYDIS_MAX_INSTRUCTION_LENGTH];
    size_t n = vx::x86::fetch(memory_, eip, bytes);
    ZydisDecodedInstruction info;
    ZydisDecoder decoder;
    ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    size_t length = ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder, nullptr, bytes, n, &info)) ? info.length : 0;
    std::string text;
    for (size_t i = 0; i < length; ++i) {
        char b[4];
        std::snprintf(b, sizeof b, "%02x ", bytes[i]);
        text += b;
    }
    std::printf("\n  %s  %-30s %s\n", hex(eip, 8).c_str(), text.c_str(), vx::x86::disassemble(memory_, eip).c_str());
}

std::string Printer::note(uint64_t pc, const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops,
                          const Block& block) const {
    std::string text;
    // An exit's code: a reason, or the patch site of an unchained branch.
    if (insn.mnemonic == ZYDIS_MNEMONIC_MOV && ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
        ops[0].mem.base == ZYDIS_REGISTER_R15 && ops[0].mem.disp.value == CTX_EXIT_CODE &&
        ops[1].type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
        const uint32_t code = uint32_t(ops[1].imm.value.u);
        switch (code) {
        case EXIT_SYSCALL: text = "EXIT_SYSCALL"; break;
        case EXIT_LOOKUP_MISS: text = "EXIT_LOOKUP_MISS"; break;
        case EXIT_BREAKPOINT: text = "EXIT_BREAKPOINT"; break;
        case EXIT_EMULATE: text = "EXIT_EMULATE"; break;
        case EXIT_SEGMENT_LOAD: text = "EXIT_SEGMENT_LOAD"; break;
        default:
            if (code >= EXIT_CODE_LIMIT)
                text = "EXIT_CODE_LIMIT + patch site " + symbols_.name(cache_.exec_base() + code - EXIT_CODE_LIMIT);
            else if (code >= EXIT_FAULT_BASE)
                text = std::string("EXIT_FAULT_BASE + ") + vx::to_string(vx::FaultKind(code - EXIT_FAULT_BASE));
        }
    }
    // A chaining site: the rel32 the engine points at a block or at the stub.
    for (const Block::DirectExit& exit : block.exits)
        if (block.host_entry + exit.site == pc + insn.length - 4)
            text = "chaining site, stub at " + symbols_.name(block.host_entry + exit.stub);
    return text.empty() ? text : "  ; " + text;
}

void Printer::print_host(uint64_t pc, const ZydisDecodedInstruction& insn, const ZydisDecodedOperand* ops,
                         const Block& block) {
    char text[256];
    if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&formatter_, &insn, ops, insn.operand_count_visible, text,
                                                      sizeof text, pc, &symbols_)))
        std::snprintf(text, sizeof text, "(cannot format)");
    std::string bytes;
    const uint8_t* code = cache_.writable(pc);
    for (size_t i = 0; i < insn.length; ++i) {
        char b[4];
        std::snprintf(b, sizeof b, "%02x ", code[i]);
        bytes += b;
    }
    std::printf("    +%04llx  %-33s %s%s\n", static_cast<unsigned long long>(pc - block.host_entry), bytes.c_str(),
                text, note(pc, insn, ops, block).c_str());
}

void Printer::print(const Block& block, uint64_t end) {
    symbols_.block_entry = block.host_entry;
    std::printf("block %s: guest %s..%s, %u instructions, host %llu bytes (body %llu)\n",
                hex(block.guest_eip, 8).c_str(), hex(block.guest_eip, 8).c_str(), hex(block.guest_end, 8).c_str(),
                unsigned(block.insn_count), static_cast<unsigned long long>(end - block.host_entry),
                static_cast<unsigned long long>(block.host_body_end - block.host_entry));
    if (block.prologue_end) std::printf("\n  (prologue)\n");
    size_t next_record = 0;
    int64_t shown_eip = -1;
    bool in_stubs = false;
    for (uint64_t pc = block.host_entry; pc < end;) {
        const uint32_t offset = uint32_t(pc - block.host_entry);
        for (; next_record < block.insns.size() && block.insns[next_record].host_offset <= offset; ++next_record) {
            const InsnRecord& r = block.insns[next_record];
            if (int64_t(r.guest_eip) != shown_eip) {
                print_guest(r.guest_eip);
                shown_eip = r.guest_eip;
                if (r.fixup != vx::dbt::kNoFixup) std::printf("    ; fixup: %s\n", fixup_text(r.fixup).c_str());
            } else {
                std::printf("    ; fixup: %s\n", fixup_text(r.fixup).c_str());
            }
        }
        if (!in_stubs && pc >= block.host_body_end) {
            std::printf("\n  (exit stubs)\n");
            in_stubs = true;
        }
        ZydisDecodedInstruction insn;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder_, cache_.writable(pc), end - pc, &insn, ops))) {
            std::printf("    +%04x  %02x  (undecodable)\n", offset, *cache_.writable(pc));
            ++pc;
            continue;
        }
        print_host(pc, insn, ops, block);
        pc += insn.length;
    }
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    std::ifstream file(options.code_file, std::ios::binary);
    if (!file) usage(("cannot read " + options.code_file).c_str());
    const std::vector<uint8_t> code{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    if (code.empty() || code.size() > (1u << 20)) usage("the code must have 1 byte to 1 MiB");

    vx::GuestMemory memory(16u << 20);
    const uint32_t mapped = uint32_t((code.size() + vx::kPageSize - 1) / vx::kPageSize * vx::kPageSize);
    memory.map(kLoadAddress, mapped, vx::kRead | vx::kWrite | vx::kExec);
    memory.write(kLoadAddress, code.data(), code.size());

    vx::dbt::CodeCache cache(16u << 20);
    std::memset(cache.writable(cache.cursor()), 0xcc, kStandInBytes);
    vx::dbt::RuntimeLinks links;
    links.exit_stub = cache.cursor() + kExitStubOffset;
    links.miss_path = cache.cursor() + kMissPathOffset;
    cache.commit(kStandInBytes);

    Symbols symbols;
    symbols.cache_base = cache.exec_base();
    symbols.exit_stub = links.exit_stub;
    symbols.miss_path = links.miss_path;

    std::printf("# guest code: %zu bytes at %s; fuel counting %s; fs base %s (selector %s), gs base %s (selector %s)\n\n",
                code.size(), hex(kLoadAddress, 8).c_str(), options.fuel ? "on" : "off",
                hex(options.segments.fs).c_str(), hex(options.segments.fs_selector).c_str(),
                hex(options.segments.gs).c_str(), hex(options.segments.gs_selector).c_str());

    vx::dbt::Translator translator(memory, cache, links, options.fuel);
    std::map<uint32_t, uint64_t> translated;  // guest eip -> host entry
    auto find = [&](uint32_t eip) {
        auto it = translated.find(eip);
        return it == translated.end() ? uint64_t(0) : it->second;
    };
    std::vector<std::pair<Block, uint64_t>> blocks;  // each with where it ends in the cache
    const uint32_t code_end = kLoadAddress + uint32_t(code.size());
    for (uint32_t eip = kLoadAddress; eip < code_end;) {
        Block block = translator.translate(eip, options.segments, find, options.max_insns);
        translated[block.guest_eip] = block.host_entry;
        symbols.entries[block.host_entry] = block.guest_eip;
        blocks.emplace_back(block, cache.cursor());
        if (block.guest_end <= eip) break;  // it faulted at its start: nothing further to reach
        eip = block.guest_end;
    }
    // Printed once all are translated: later blocks may name earlier ones.
    Printer printer(memory, cache, symbols);
    for (const auto& [block, end] : blocks) printer.print(block, end);
    return 0;
}
