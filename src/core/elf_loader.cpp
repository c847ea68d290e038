#include "vx/elf_loader.h"

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <vector>

namespace vx {
namespace {


uint64_t page_floor(uint64_t a) { return a & ~uint64_t(kPageSize - 1); }
uint64_t page_ceil(uint64_t a) { return page_floor(a + kPageSize - 1); }

Perm perms_of(uint32_t p_flags) {
    Perm p = kNone;
    if (p_flags & PF_R) p = p | kRead;
    if (p_flags & PF_W) p = p | kWrite | kRead;
    if (p_flags & PF_X) p = p | kExec | kRead;
    return p;
}

[[noreturn]] void reject(const std::string& why) { throw ElfError(why); }

Elf32_Ehdr check_header(std::span<const uint8_t> file) {
    Elf32_Ehdr eh;
    if (file.size() < 4 || std::memcmp(file.data(), ELFMAG, SELFMAG) != 0)
        reject("not an ELF file");
    if (file.size() < sizeof eh) reject("truncated ELF header");
    std::memcpy(&eh, file.data(), sizeof eh);
    if (eh.e_ident[EI_CLASS] != ELFCLASS32) reject("not a 32-bit ELF file (i386 expected)");
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB) reject("not a little-endian ELF file");
    if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
        reject("unknown ELF version");
    if (eh.e_machine != EM_386) reject("not an i386 executable (e_machine " +
                                       std::to_string(eh.e_machine) + ")");
    if (eh.e_type == ET_DYN)
        reject("position-independent executable (ET_DYN); build with -static -no-pie");
    if (eh.e_type != ET_EXEC) reject("not an executable (e_type " + std::to_string(eh.e_type) + ")");
    if (eh.e_phentsize != sizeof(Elf32_Phdr)) reject("bad program header entry size");
    if (eh.e_phnum == 0 || eh.e_phnum > 128) reject("bad program header count");
    if (uint64_t(eh.e_phoff) + uint64_t(eh.e_phnum) * sizeof(Elf32_Phdr) > file.size())
        reject("program headers lie outside the file");
    return eh;
}

std::vector<Elf32_Phdr> read_phdrs(std::span<const uint8_t> file, const Elf32_Ehdr& eh) {
    std::vector<Elf32_Phdr> phdrs(eh.e_phnum);
    std::memcpy(phdrs.data(), file.data() + eh.e_phoff, phdrs.size() * sizeof(Elf32_Phdr));
    return phdrs;
}

void check_loads(std::span<const uint8_t> file, const std::vector<Elf32_Phdr>& phdrs,
                 uint32_t memory_size) {
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& ph : phdrs) {
        if (ph.p_type == PT_INTERP) reject("dynamically linked (has PT_INTERP); build with -static");
        if (ph.p_type == PT_DYNAMIC) reject("dynamically linked (has PT_DYNAMIC); build with -static");
        if (ph.p_type != PT_LOAD) continue;
        if (ph.p_filesz > ph.p_memsz) reject("segment file size exceeds its memory size");
        if (uint64_t(ph.p_offset) + ph.p_filesz > file.size())
            reject("segment data lies outside the file (truncated?)");
        if (ph.p_memsz == 0) continue;
        uint64_t end = uint64_t(ph.p_vaddr) + ph.p_memsz;
        if (ph.p_vaddr < kLowestGuestMapping) reject("segment maps the lowest 64 KiB");
        if (end > memory_size)
            reject("segment ends beyond guest memory left for the program (" + std::to_string(end) + " > " +
                   std::to_string(memory_size) + ")");
        if (ph.p_align > 1 && (ph.p_vaddr - ph.p_offset) % kPageSize)
            reject("segment address and file offset disagree modulo the page size");
        ranges.emplace_back(ph.p_vaddr, end);
    }
    if (ranges.empty()) reject("no loadable segment");
    std::sort(ranges.begin(), ranges.end());
    for (size_t i = 1; i < ranges.size(); ++i)
        if (ranges[i].first < ranges[i - 1].second) reject("overlapping segments");
}

bool entry_is_executable(const std::vector<Elf32_Phdr>& phdrs, uint32_t entry) {
    return std::any_of(phdrs.begin(), phdrs.end(), [&](const Elf32_Phdr& ph) {
        return ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && entry >= ph.p_vaddr &&
               uint64_t(entry) < uint64_t(ph.p_vaddr) + ph.p_memsz;
    });
}

uint32_t phdr_address(const Elf32_Ehdr& eh, const std::vector<Elf32_Phdr>& phdrs) {
    for (const auto& ph : phdrs)
        if (ph.p_type == PT_PHDR) return ph.p_vaddr;
    for (const auto& ph : phdrs)
        if (ph.p_type == PT_LOAD && eh.e_phoff >= ph.p_offset &&
            uint64_t(eh.e_phoff) + eh.e_phnum * sizeof(Elf32_Phdr) <=
                uint64_t(ph.p_offset) + ph.p_filesz)
            return ph.p_vaddr + (eh.e_phoff - ph.p_offset);
    return 0;  // not loaded: AT_PHDR 0, as Linux does
}

// The pages the PT_LOAD segments take, with the union of their permissions
// where segments share a page at their edges.
std::map<uint32_t, Perm> page_perms_of(const std::vector<Elf32_Phdr>& phdrs) {
    std::map<uint32_t, Perm> page_perms;
    for (const auto& ph : phdrs) {
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
        for (uint64_t p = page_floor(ph.p_vaddr); p < page_ceil(uint64_t(ph.p_vaddr) + ph.p_memsz);
             p += kPageSize)
            page_perms[uint32_t(p)] = page_perms[uint32_t(p)] | perms_of(ph.p_flags);
    }
    return page_perms;
}

// Whether the NUL-terminated string at `offset` of a string table is `name`.
bool names(std::span<const uint8_t> strings, uint32_t offset, std::string_view name) {
    if (offset >= strings.size() || strings.size() - offset <= name.size()) return false;
    return std::memcmp(strings.data() + offset, name.data(), name.size()) == 0 && strings[offset + name.size()] == 0;
}

}  // namespace

std::optional<uint32_t> elf_symbol(std::span<const uint8_t> file, std::string_view name) {
    check_elf(file, kMaxGuestMemory);
    const Elf32_Ehdr eh = check_header(file);
    if (name.empty() || name.find('\0') != std::string_view::npos) return std::nullopt;
    if (eh.e_shoff == 0 || eh.e_shnum == 0) return std::nullopt;  // no section headers, so no symbols
    if (eh.e_shentsize != sizeof(Elf32_Shdr)) reject("bad section header entry size");
    if (uint64_t(eh.e_shoff) + uint64_t(eh.e_shnum) * sizeof(Elf32_Shdr) > file.size())
        reject("section headers lie outside the file");
    auto section = [&](uint32_t index) {
        Elf32_Shdr sh;
        std::memcpy(&sh, file.data() + eh.e_shoff + uint64_t(index) * sizeof sh, sizeof sh);
        return sh;
    };
    auto contents = [&](const Elf32_Shdr& sh, const char* what) {
        if (uint64_t(sh.sh_offset) + sh.sh_size > file.size()) reject(std::string(what) + " lies outside the file");
        return file.subspan(sh.sh_offset, sh.sh_size);
    };
    std::optional<uint32_t> local;
    // The first symbol table only: a file has one (the gABI allows no more),
    // and one that names its table thousands of times must not make the
    // host read it as often.
    for (uint32_t i = 0; i < eh.e_shnum; ++i) {
        const Elf32_Shdr symtab = section(i);
        if (symtab.sh_type != SHT_SYMTAB) continue;
        if (symtab.sh_entsize != sizeof(Elf32_Sym)) reject("bad symbol table entry size");
        if (symtab.sh_link >= eh.e_shnum) reject("a symbol table names no string table");
        const Elf32_Shdr strtab = section(symtab.sh_link);
        if (strtab.sh_type != SHT_STRTAB) reject("a symbol table's string table is not one");
        const std::span<const uint8_t> symbols = contents(symtab, "a symbol table");
        const std::span<const uint8_t> strings = contents(strtab, "a string table");
        for (size_t at = 0; symbols.size() - at >= sizeof(Elf32_Sym); at += sizeof(Elf32_Sym)) {
            Elf32_Sym sym;
            std::memcpy(&sym, symbols.data() + at, sizeof sym);
            const bool defined = sym.st_shndx != SHN_UNDEF && sym.st_shndx < SHN_LORESERVE && sym.st_shndx < eh.e_shnum;
            if (ELF32_ST_TYPE(sym.st_info) != STT_FUNC || !defined || !names(strings, sym.st_name, name)) continue;
            if (ELF32_ST_BIND(sym.st_info) != STB_LOCAL) return sym.st_value;
            if (!local) local = sym.st_value;
        }
        break;
    }
    return local;
}

uint64_t elf_image_bytes(std::span<const uint8_t> file) {
    check_elf(file, kMaxGuestMemory);
    return uint64_t(page_perms_of(read_phdrs(file, check_header(file))).size()) * kPageSize;
}

void check_elf(std::span<const uint8_t> file, uint32_t memory_size) {
    Elf32_Ehdr eh = check_header(file);
    std::vector<Elf32_Phdr> phdrs = read_phdrs(file, eh);
    check_loads(file, phdrs, memory_size);
    if (!entry_is_executable(phdrs, eh.e_entry)) reject("entry point is not in an executable segment");
}

ElfImage load_elf(GuestMemory& memory, std::span<const uint8_t> file) {
    check_elf(file, memory.size());
    Elf32_Ehdr eh = check_header(file);
    std::vector<Elf32_Phdr> phdrs = read_phdrs(file, eh);

    const std::map<uint32_t, Perm> page_perms = page_perms_of(phdrs);
    // Runs of adjacent pages with the same permissions: one call each.
    struct Run { uint32_t start, length; Perm perms; };
    std::vector<Run> runs;
    for (const auto& [page, perms] : page_perms) {
        if (!runs.empty() && runs.back().start + runs.back().length == page && runs.back().perms == perms)
            runs.back().length += kPageSize;
        else
            runs.push_back({page, kPageSize, perms});
    }
    for (const Run& run : runs)
        if (!memory.map(run.start, run.length, kRead | kWrite)) throw Error("the program's image needs more host mappings than allowed");
    for (const auto& ph : phdrs)
        if (ph.p_type == PT_LOAD && ph.p_filesz)
            memory.write(ph.p_vaddr, file.data() + ph.p_offset, ph.p_filesz);
    for (const Run& run : runs)
        if (!memory.protect(run.start, run.length, run.perms)) throw Error("the program's image needs more host mappings than allowed");

    ElfImage image;
    image.entry = eh.e_entry;
    image.phdr_addr = phdr_address(eh, phdrs);
    image.phent = eh.e_phentsize;
    image.phnum = eh.e_phnum;
    image.image_end = page_perms.rbegin()->first + kPageSize;
    return image;
}

}  // namespace vx
