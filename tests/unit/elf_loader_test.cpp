// A corpus of malformed ELF images, each a valid minimal static i386 executable
// with one thing wrong: load_elf must refuse every one with a reason.
#include <gtest/gtest.h>

#include <elf.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <utility>
#include <string>
#include <vector>

#include "vx/elf_loader.h"

namespace {

constexpr uint32_t kTextAddr = 0x08048000;
constexpr uint32_t kPhdrOffset = sizeof(Elf32_Ehdr);
constexpr uint32_t kCodeOffset = 0x200;
constexpr uint64_t kMemorySize = 256ull << 20;

// xor eax, eax; inc eax; int $0x80, then filler a loader must not copy past p_filesz.
const std::vector<uint8_t> kCode = {0x31, 0xc0, 0x40, 0xcd, 0x80, 0xaa, 0xaa, 0xaa,
                                    0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa};

// Header, program headers at kPhdrOffset and code at kCodeOffset; the header is
// written as it stands, so a test can make it disagree with the headers it has.
struct TestElf {
    Elf32_Ehdr header{};
    std::vector<Elf32_Phdr> segments;

    void add(const Elf32_Phdr& ph) {
        segments.push_back(ph);
        header.e_phnum = uint16_t(segments.size());
    }

    std::vector<uint8_t> bytes() const {
        std::vector<uint8_t> file(kCodeOffset + kCode.size(), 0);
        std::memcpy(file.data(), &header, sizeof header);
        std::memcpy(file.data() + kPhdrOffset, segments.data(), segments.size() * sizeof(Elf32_Phdr));
        std::copy(kCode.begin(), kCode.end(), file.begin() + kCodeOffset);
        return file;
    }
};

uint32_t file_size() { return kCodeOffset + uint32_t(kCode.size()); }

// One R+X PT_LOAD covering the whole file at kTextAddr, entry at the code.
TestElf minimal_elf() {
    TestElf elf;
    Elf32_Ehdr& eh = elf.header;
    std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS32;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    eh.e_ident[EI_OSABI] = ELFOSABI_SYSV;
    eh.e_type = ET_EXEC;
    eh.e_machine = EM_386;
    eh.e_version = EV_CURRENT;
    eh.e_entry = kTextAddr + kCodeOffset;
    eh.e_phoff = kPhdrOffset;
    eh.e_ehsize = sizeof(Elf32_Ehdr);
    eh.e_phentsize = sizeof(Elf32_Phdr);
    Elf32_Phdr text{};
    text.p_type = PT_LOAD;
    text.p_offset = 0;
    text.p_vaddr = text.p_paddr = kTextAddr;
    text.p_filesz = text.p_memsz = file_size();
    text.p_flags = PF_R | PF_X;
    text.p_align = 0x1000;
    elf.add(text);
    return elf;
}

Elf32_Phdr segment(uint32_t type, uint32_t offset, uint32_t vaddr, uint32_t filesz, uint32_t memsz,
                   uint32_t flags) {
    Elf32_Phdr ph{};
    ph.p_type = type;
    ph.p_offset = offset;
    ph.p_vaddr = ph.p_paddr = vaddr;
    ph.p_filesz = filesz;
    ph.p_memsz = memsz;
    ph.p_flags = flags;
    ph.p_align = 0x1000;
    return ph;
}

class ElfLoaderTest : public ::testing::Test {
protected:
    vx::ElfImage load(const std::vector<uint8_t>& file) { return vx::load_elf(memory_, file); }
    vx::ElfImage load(const TestElf& elf) { return load(elf.bytes()); }

    // The ElfError message for `file`, or a marker that nothing was thrown.
    std::string rejection(const std::vector<uint8_t>& file) {
        try {
            vx::load_elf(memory_, file);
        } catch (const vx::ElfError& e) {
            return e.what();
        }
        return "<accepted>";
    }
    std::string rejection(const TestElf& elf) { return rejection(elf.bytes()); }

    vx::GuestMemory memory_{kMemorySize};
};

::testing::AssertionResult mentions(const std::string& message, const std::string& part) {
    if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "\"" << message << "\" does not mention \"" << part << "\"";
}

TEST_F(ElfLoaderTest, AcceptsMinimalExecutable) {
    vx::ElfImage image = load(minimal_elf());
    EXPECT_EQ(image.entry, kTextAddr + kCodeOffset);
    EXPECT_EQ(image.image_end, kTextAddr + 0x1000);
    EXPECT_EQ(image.phdr_addr, kTextAddr + kPhdrOffset);
    EXPECT_EQ(image.phnum, 1);
    EXPECT_EQ(image.phent, sizeof(Elf32_Phdr));
}

TEST_F(ElfLoaderTest, MapsTextReadExecuteWithFileBytes) {
    load(minimal_elf());
    EXPECT_EQ(memory_.perms_at(kTextAddr), vx::kRead | vx::kExec);
    EXPECT_EQ(memory_.perms_at(kTextAddr + 0xfff), vx::kRead | vx::kExec);
    EXPECT_EQ(memory_.perms_at(kTextAddr + 0x1000), vx::kNone);
    EXPECT_EQ(memory_.perms_at(kTextAddr - 0x1000), vx::kNone);

    std::vector<uint8_t> expected = minimal_elf().bytes();
    std::vector<uint8_t> loaded(expected.size());
    ASSERT_TRUE(memory_.read(kTextAddr, loaded.data(), loaded.size()));
    EXPECT_EQ(loaded, expected);
    // The rest of the segment's last page is zero.
    std::vector<uint8_t> tail(0x1000 - expected.size(), 0xff);
    ASSERT_TRUE(memory_.read(kTextAddr + uint32_t(expected.size()), tail.data(), tail.size()));
    EXPECT_TRUE(std::all_of(tail.begin(), tail.end(), [](uint8_t b) { return b == 0; }));
}

TEST_F(ElfLoaderTest, DataSegmentCopiesFileSizeAndZeroFillsBss) {
    TestElf elf = minimal_elf();
    // Three file bytes at 0x0804a200, then bss up to 0x0804c000; the file goes
    // on with 0xaa bytes that must not appear in the bss.
    const uint32_t data = 0x0804a000 + kCodeOffset;
    elf.add(segment(PT_LOAD, kCodeOffset, data, 3, 0x2000 - kCodeOffset, PF_R | PF_W));
    vx::ElfImage image = load(elf);

    EXPECT_EQ(image.image_end, 0x0804c000u);
    EXPECT_EQ(memory_.perms_at(0x08049000), vx::kNone);
    EXPECT_EQ(memory_.perms_at(0x0804a000), vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(0x0804b000), vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(0x0804c000), vx::kNone);

    uint8_t head[3];
    ASSERT_TRUE(memory_.read(data, head, sizeof head));
    EXPECT_TRUE(std::equal(head, head + 3, kCode.begin()));
    std::vector<uint8_t> bss(0x0804c000 - data - 3, 0xff);
    ASSERT_TRUE(memory_.read(data + 3, bss.data(), bss.size()));
    EXPECT_TRUE(std::all_of(bss.begin(), bss.end(), [](uint8_t b) { return b == 0; }));
}

TEST_F(ElfLoaderTest, PageSharedBySegmentsGetsBothPermissions) {
    TestElf elf = minimal_elf();
    // Writable data right after the text, starting on the text's last page.
    elf.add(segment(PT_LOAD, file_size(), kTextAddr + file_size(), 0, 0x1000, PF_R | PF_W));
    vx::ElfImage image = load(elf);
    EXPECT_EQ(memory_.perms_at(kTextAddr), vx::kRead | vx::kWrite | vx::kExec);
    EXPECT_EQ(memory_.perms_at(kTextAddr + 0x1000), vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(kTextAddr + 0x2000), vx::kNone);
    EXPECT_EQ(image.image_end, kTextAddr + 0x2000);
}

// What a program's image costs in guest pages: a page two segments share
// counts once (execve admits this much before it loads).
TEST_F(ElfLoaderTest, ImageBytesCountASharedPageOnce) {
    TestElf elf = minimal_elf();
    EXPECT_EQ(vx::elf_image_bytes(elf.bytes()), 0x1000u);
    elf.add(segment(PT_LOAD, file_size(), kTextAddr + file_size(), 0, 0x1000, PF_R | PF_W));
    EXPECT_EQ(vx::elf_image_bytes(elf.bytes()), 0x2000u);
    elf.add(segment(PT_LOAD, 0, kTextAddr + 0x10000, 0, 0x3000, PF_R | PF_W));  // bss far above
    EXPECT_EQ(vx::elf_image_bytes(elf.bytes()), 0x5000u);
    TestElf broken = minimal_elf();
    broken.header.e_machine = EM_X86_64;
    EXPECT_THROW(vx::elf_image_bytes(broken.bytes()), vx::ElfError);
}

TEST_F(ElfLoaderTest, PtPhdrGivesPhdrAddress) {
    TestElf elf = minimal_elf();
    elf.add(segment(PT_PHDR, kPhdrOffset, 0x08048100, 64, 64, PF_R));
    EXPECT_EQ(load(elf).phdr_addr, 0x08048100u);
}

TEST_F(ElfLoaderTest, UnloadedProgramHeadersGivePhdrAddressZero) {
    TestElf elf = minimal_elf();
    elf.segments[0].p_offset = kCodeOffset - 0x100;
    elf.segments[0].p_vaddr = kTextAddr + kCodeOffset - 0x100;
    elf.segments[0].p_filesz = elf.segments[0].p_memsz = file_size() - (kCodeOffset - 0x100);
    EXPECT_EQ(load(elf).phdr_addr, 0u);
}

TEST_F(ElfLoaderTest, RejectsEmptyFile) {
    EXPECT_TRUE(mentions(rejection(std::vector<uint8_t>{}), "not an ELF file"));
}

TEST_F(ElfLoaderTest, RejectsWrongMagic) {
    std::vector<uint8_t> file = minimal_elf().bytes();
    file[1] = 'L';
    file[2] = 'E';
    EXPECT_TRUE(mentions(rejection(file), "not an ELF file"));
    EXPECT_TRUE(mentions(rejection(std::vector<uint8_t>{'#', '!', '/', 'b', 'i', 'n'}), "not an ELF file"));
}

TEST_F(ElfLoaderTest, RejectsTruncatedHeader) {
    std::vector<uint8_t> file = minimal_elf().bytes();
    file.resize(sizeof(Elf32_Ehdr) - 1);
    EXPECT_TRUE(mentions(rejection(file), "truncated ELF header"));
    file.resize(4);
    EXPECT_TRUE(mentions(rejection(file), "truncated ELF header"));
}

TEST_F(ElfLoaderTest, Rejects64BitClass) {
    TestElf elf = minimal_elf();
    elf.header.e_ident[EI_CLASS] = ELFCLASS64;
    EXPECT_TRUE(mentions(rejection(elf), "not a 32-bit ELF"));
}

TEST_F(ElfLoaderTest, RejectsBigEndian) {
    TestElf elf = minimal_elf();
    elf.header.e_ident[EI_DATA] = ELFDATA2MSB;
    EXPECT_TRUE(mentions(rejection(elf), "little-endian"));
}

TEST_F(ElfLoaderTest, RejectsWrongVersion) {
    TestElf ident = minimal_elf();
    ident.header.e_ident[EI_VERSION] = 2;
    EXPECT_TRUE(mentions(rejection(ident), "unknown ELF version"));
    TestElf field = minimal_elf();
    field.header.e_version = EV_NONE;
    EXPECT_TRUE(mentions(rejection(field), "unknown ELF version"));
}

TEST_F(ElfLoaderTest, RejectsX86_64Machine) {
    TestElf elf = minimal_elf();
    elf.header.e_machine = EM_X86_64;
    EXPECT_TRUE(mentions(rejection(elf), "not an i386 executable (e_machine 62)"));
}

TEST_F(ElfLoaderTest, RejectsPieWithAdvice) {
    TestElf elf = minimal_elf();
    elf.header.e_type = ET_DYN;
    std::string why = rejection(elf);
    EXPECT_TRUE(mentions(why, "ET_DYN"));
    EXPECT_TRUE(mentions(why, "-static -no-pie"));
}

TEST_F(ElfLoaderTest, RejectsRelocatableObject) {
    TestElf elf = minimal_elf();
    elf.header.e_type = ET_REL;
    EXPECT_TRUE(mentions(rejection(elf), "not an executable (e_type 1)"));
}

TEST_F(ElfLoaderTest, RejectsBadPhentsize) {
    TestElf elf = minimal_elf();
    elf.header.e_phentsize = sizeof(Elf32_Phdr) + 4;
    EXPECT_TRUE(mentions(rejection(elf), "bad program header entry size"));
    elf.header.e_phentsize = 0;
    EXPECT_TRUE(mentions(rejection(elf), "bad program header entry size"));
}

TEST_F(ElfLoaderTest, RejectsZeroOrHugePhnum) {
    TestElf elf = minimal_elf();
    elf.header.e_phnum = 0;
    EXPECT_TRUE(mentions(rejection(elf), "bad program header count"));
    elf.header.e_phnum = 0xffff;
    EXPECT_TRUE(mentions(rejection(elf), "bad program header count"));
}

TEST_F(ElfLoaderTest, RejectsProgramHeadersOutsideFile) {
    TestElf elf = minimal_elf();
    elf.header.e_phoff = file_size() - sizeof(Elf32_Phdr) + 1;
    EXPECT_TRUE(mentions(rejection(elf), "program headers lie outside the file"));
    // An offset that would wrap in 32-bit arithmetic.
    elf.header.e_phoff = 0xfffffff0;
    EXPECT_TRUE(mentions(rejection(elf), "program headers lie outside the file"));
}

TEST_F(ElfLoaderTest, RejectsInterpreter) {
    TestElf elf = minimal_elf();
    elf.add(segment(PT_INTERP, kCodeOffset, kTextAddr + kCodeOffset, 4, 4, PF_R));
    EXPECT_TRUE(mentions(rejection(elf), "PT_INTERP"));
}

TEST_F(ElfLoaderTest, RejectsDynamicSection) {
    TestElf elf = minimal_elf();
    elf.add(segment(PT_DYNAMIC, kCodeOffset, kTextAddr + kCodeOffset, 8, 8, PF_R));
    EXPECT_TRUE(mentions(rejection(elf), "PT_DYNAMIC"));
}

TEST_F(ElfLoaderTest, RejectsFileSizeAboveMemorySize) {
    TestElf elf = minimal_elf();
    elf.segments[0].p_memsz = elf.segments[0].p_filesz - 1;
    EXPECT_TRUE(mentions(rejection(elf), "file size exceeds its memory size"));
}

TEST_F(ElfLoaderTest, RejectsSegmentDataBeyondFile) {
    TestElf elf = minimal_elf();
    elf.segments[0].p_filesz = elf.segments[0].p_memsz = file_size() + 1;
    EXPECT_TRUE(mentions(rejection(elf), "segment data lies outside the file"));

    TestElf wrapping = minimal_elf();
    wrapping.add(segment(PT_LOAD, 0xfffff000, 0x0804a000, 0x2000, 0x2000, PF_R | PF_W));
    EXPECT_TRUE(mentions(rejection(wrapping), "segment data lies outside the file"));
}

TEST_F(ElfLoaderTest, RejectsSegmentInLowest64KiB) {
    TestElf elf = minimal_elf();
    elf.segments[0].p_vaddr = 0xf000;
    elf.header.e_entry = 0xf000 + kCodeOffset;
    EXPECT_TRUE(mentions(rejection(elf), "lowest 64 KiB"));
}

TEST_F(ElfLoaderTest, RejectsSegmentBeyondGuestMemory) {
    TestElf elf = minimal_elf();
    elf.add(segment(PT_LOAD, 0, uint32_t(kMemorySize) - 0x1000, 0, 0x1001, PF_R | PF_W));
    EXPECT_TRUE(mentions(rejection(elf), "segment ends beyond guest memory"));

    // An end past 4 GiB must not wrap around to a small address.
    TestElf wrapping = minimal_elf();
    wrapping.add(segment(PT_LOAD, 0, 0xfffff000, 0, 0x2000, PF_R | PF_W));
    EXPECT_TRUE(mentions(rejection(wrapping), "segment ends beyond guest memory"));
}

TEST_F(ElfLoaderTest, AcceptsSegmentEndingExactlyAtGuestMemoryEnd) {
    TestElf elf = minimal_elf();
    elf.add(segment(PT_LOAD, 0, uint32_t(kMemorySize) - 0x1000, 0, 0x1000, PF_R | PF_W));
    EXPECT_EQ(load(elf).image_end, uint32_t(kMemorySize));
    EXPECT_EQ(memory_.perms_at(uint32_t(kMemorySize) - 1), vx::kRead | vx::kWrite);
}

TEST_F(ElfLoaderTest, RejectsAddressAndOffsetMisalignedModuloPage) {
    TestElf elf = minimal_elf();
    elf.segments[0].p_vaddr = kTextAddr + 0x10;
    elf.header.e_entry = kTextAddr + 0x10 + kCodeOffset;
    EXPECT_TRUE(mentions(rejection(elf), "disagree modulo the page size"));
}

TEST_F(ElfLoaderTest, RejectsOverlappingSegments) {
    TestElf elf = minimal_elf();
    elf.add(segment(PT_LOAD, 0x100, kTextAddr + 0x100, 0, 0x1000, PF_R | PF_W));
    EXPECT_TRUE(mentions(rejection(elf), "overlapping segments"));

    // One segment inside another, given before it.
    TestElf nested = minimal_elf();
    Elf32_Phdr outer = segment(PT_LOAD, 0, 0x0804a000, 0, 0x10000, PF_R | PF_W);
    Elf32_Phdr inner = segment(PT_LOAD, 0, 0x0804b000, 0, 0x1000, PF_R | PF_W);
    nested.add(inner);
    nested.add(outer);
    EXPECT_TRUE(mentions(rejection(nested), "overlapping segments"));
}

TEST_F(ElfLoaderTest, RejectsNoLoadableSegment) {
    TestElf elf = minimal_elf();
    elf.segments[0].p_type = PT_NOTE;
    EXPECT_TRUE(mentions(rejection(elf), "no loadable segment"));

    TestElf empty_load = minimal_elf();
    empty_load.segments[0].p_filesz = empty_load.segments[0].p_memsz = 0;
    EXPECT_TRUE(mentions(rejection(empty_load), "no loadable segment"));
}

TEST_F(ElfLoaderTest, RejectsEntryOutsideExecutableSegments) {
    TestElf below = minimal_elf();
    below.header.e_entry = kTextAddr - 1;
    EXPECT_TRUE(mentions(rejection(below), "entry point is not in an executable segment"));

    TestElf past_end = minimal_elf();
    past_end.header.e_entry = kTextAddr + file_size();
    EXPECT_TRUE(mentions(rejection(past_end), "entry point is not in an executable segment"));

    TestElf in_data = minimal_elf();
    in_data.add(segment(PT_LOAD, 0, 0x0804a000, 0, 0x1000, PF_R | PF_W));
    in_data.header.e_entry = 0x0804a000;
    EXPECT_TRUE(mentions(rejection(in_data), "entry point is not in an executable segment"));
}

TEST_F(ElfLoaderTest, RejectedFileMapsNothing) {
    TestElf elf = minimal_elf();
    elf.header.e_entry = kTextAddr - 1;
    EXPECT_THROW(load(elf), vx::ElfError);
    EXPECT_EQ(memory_.perms_at(kTextAddr), vx::kNone);
}

TEST_F(ElfLoaderTest, ElfErrorIsAVxError) {
    EXPECT_THROW(load(std::vector<uint8_t>{}), vx::Error);
}

// Symbols (elf_symbol): the minimal executable with a string table, a symbol
// table and section headers after its code, offsets kept so that a test can
// break one thing.
struct SymbolElf {
    std::vector<uint8_t> file;
    uint32_t symtab_header = 0, strtab_header = 0;  // file offsets of their Elf32_Shdr
    uint32_t symbols = 0;                           // file offset of the symbol table

    template <typename T> T& at(uint32_t offset) { return *reinterpret_cast<T*>(file.data() + offset); }
    Elf32_Ehdr& header() { return at<Elf32_Ehdr>(0); }
    Elf32_Shdr& symtab() { return at<Elf32_Shdr>(symtab_header); }
    Elf32_Shdr& strtab() { return at<Elf32_Shdr>(strtab_header); }
    Elf32_Sym& symbol(unsigned index) { return at<Elf32_Sym>(symbols + index * sizeof(Elf32_Sym)); }
};

constexpr uint32_t kFunction = kTextAddr + kCodeOffset;

SymbolElf symbol_elf() {
    SymbolElf elf;
    elf.file = minimal_elf().bytes();
    auto append = [&](const void* data, size_t size) {
        while (elf.file.size() % 4) elf.file.push_back(0);
        const uint32_t offset = uint32_t(elf.file.size());
        elf.file.insert(elf.file.end(), static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + size);
        return offset;
    };
    const char strings[] = "\0func\0object\0undefined\0absolute\0local\0";
    const uint32_t strings_at = append(strings, sizeof strings);
    auto sym = [](uint32_t name, uint8_t bind, uint8_t type, uint16_t section, uint32_t value) {
        Elf32_Sym s{};
        s.st_name = name;
        s.st_info = ELF32_ST_INFO(bind, type);
        s.st_shndx = section;
        s.st_value = value;
        return s;
    };
    const Elf32_Sym symbols[] = {
        sym(0, STB_LOCAL, STT_NOTYPE, SHN_UNDEF, 0),
        sym(1, STB_LOCAL, STT_FUNC, 1, kFunction + 8),  // "func" too: the global one comes first
        sym(1, STB_GLOBAL, STT_FUNC, 1, kFunction),
        sym(6, STB_GLOBAL, STT_OBJECT, 1, kFunction + 4),
        sym(13, STB_GLOBAL, STT_FUNC, SHN_UNDEF, 0),
        sym(23, STB_GLOBAL, STT_FUNC, SHN_ABS, 0x1234),
        sym(32, STB_LOCAL, STT_FUNC, 1, kFunction + 12),
        sym(0, STB_GLOBAL, STT_FUNC, 1, kFunction + 2),  // no name: asking for "" does not find it
    };
    elf.symbols = append(symbols, sizeof symbols);
    auto section = [](uint32_t type, uint32_t offset, uint32_t size, uint32_t link, uint32_t entsize) {
        Elf32_Shdr sh{};
        sh.sh_type = type;
        sh.sh_offset = offset;
        sh.sh_size = size;
        sh.sh_link = link;
        sh.sh_entsize = entsize;
        return sh;
    };
    Elf32_Shdr text = section(SHT_PROGBITS, kCodeOffset, uint32_t(kCode.size()), 0, 0);
    text.sh_addr = kFunction;
    const Elf32_Shdr sections[] = {
        section(SHT_NULL, 0, 0, 0, 0),
        text,
        section(SHT_SYMTAB, elf.symbols, sizeof symbols, 3, sizeof(Elf32_Sym)),
        section(SHT_STRTAB, strings_at, sizeof strings, 0, 0),
    };
    const uint32_t headers = append(sections, sizeof sections);
    elf.symtab_header = headers + 2 * sizeof(Elf32_Shdr);
    elf.strtab_header = headers + 3 * sizeof(Elf32_Shdr);
    elf.header().e_shoff = headers;
    elf.header().e_shentsize = sizeof(Elf32_Shdr);
    elf.header().e_shnum = 4;
    return elf;
}

TEST(ElfSymbol, FindsDefinedFunctionsOnly) {
    SymbolElf elf = symbol_elf();
    EXPECT_EQ(vx::elf_symbol(elf.file, "func"), kFunction);
    EXPECT_EQ(vx::elf_symbol(elf.file, "local"), kFunction + 12) << "no global one of that name";
    EXPECT_EQ(vx::elf_symbol(elf.file, "object"), std::nullopt);
    EXPECT_EQ(vx::elf_symbol(elf.file, "undefined"), std::nullopt);
    EXPECT_EQ(vx::elf_symbol(elf.file, "absolute"), std::nullopt);
    EXPECT_EQ(vx::elf_symbol(elf.file, "fun"), std::nullopt);
    EXPECT_EQ(vx::elf_symbol(elf.file, "funcs"), std::nullopt);
    EXPECT_EQ(vx::elf_symbol(elf.file, ""), std::nullopt);
    EXPECT_EQ(vx::elf_symbol(elf.file, std::string_view("func\0", 5)), std::nullopt);
}

// A file has one symbol table: a second is not read (one named by thousands
// of section headers would make the host scan it as often).
TEST(ElfSymbol, OnlyTheFirstSymbolTableIsRead) {
    SymbolElf elf = symbol_elf();
    Elf32_Shdr& text = elf.at<Elf32_Shdr>(elf.symtab_header - sizeof(Elf32_Shdr));
    text.sh_type = SHT_SYMTAB;
    text.sh_offset = elf.symbols;
    text.sh_size = 0;
    text.sh_link = 3;
    text.sh_entsize = sizeof(Elf32_Sym);
    EXPECT_EQ(vx::elf_symbol(elf.file, "func"), std::nullopt);
}

TEST(ElfSymbol, AFileWithoutSectionHeadersHasNone) {
    SymbolElf elf = symbol_elf();
    elf.header().e_shoff = 0;
    EXPECT_EQ(vx::elf_symbol(elf.file, "func"), std::nullopt);
    elf = symbol_elf();
    elf.header().e_shnum = 0;
    EXPECT_EQ(vx::elf_symbol(elf.file, "func"), std::nullopt);
}

TEST(ElfSymbol, ANameOutsideItsStringTableNamesNothing) {
    SymbolElf elf = symbol_elf();
    elf.symbol(2).st_name = 0xffffffff;
    EXPECT_EQ(vx::elf_symbol(elf.file, "func"), kFunction + 8) << "the local one is left";
    elf = symbol_elf();
    elf.strtab().sh_size = 4;  // "\0fun": "func" runs past the table's end
    EXPECT_EQ(vx::elf_symbol(elf.file, "fun"), std::nullopt);
    EXPECT_EQ(vx::elf_symbol(elf.file, "func"), std::nullopt);
    elf = symbol_elf();
    elf.symbol(2).st_shndx = 9;  // a section there is not
    EXPECT_EQ(vx::elf_symbol(elf.file, "func"), kFunction + 8) << "the local one is left";
}

TEST(ElfSymbol, BrokenTablesAreRefused) {
    const std::vector<std::pair<const char*, std::function<void(SymbolElf&)>>> breaks = {
        {"section header size", [](SymbolElf& e) { e.header().e_shentsize = 20; }},
        {"headers past the end", [](SymbolElf& e) { e.header().e_shoff = uint32_t(e.file.size()) - 10; }},
        {"headers far past", [](SymbolElf& e) { e.header().e_shoff = 0xfffffff0; }},
        {"huge header count", [](SymbolElf& e) { e.header().e_shnum = 0xffff; }},
        {"symbols past the end", [](SymbolElf& e) { e.symtab().sh_offset = 0xffffff00; }},
        {"huge symbol table", [](SymbolElf& e) { e.symtab().sh_size = 0xffffffff; }},
        {"symbol size", [](SymbolElf& e) { e.symtab().sh_entsize = 0; }},
        {"string table index", [](SymbolElf& e) { e.symtab().sh_link = 99; }},
        {"string table kind", [](SymbolElf& e) { e.strtab().sh_type = SHT_PROGBITS; }},
        {"huge string table", [](SymbolElf& e) { e.strtab().sh_size = 0xfffffff0; }},
        {"strings past the end", [](SymbolElf& e) { e.strtab().sh_offset = uint32_t(e.file.size()); }},
    };
    for (const auto& [what, broken] : breaks) {
        SymbolElf elf = symbol_elf();
        broken(elf);
        EXPECT_THROW(vx::elf_symbol(elf.file, "func"), vx::ElfError) << what;
    }
    // A file check_elf refuses.
    SymbolElf elf = symbol_elf();
    elf.header().e_machine = EM_X86_64;
    EXPECT_THROW(vx::elf_symbol(elf.file, "func"), vx::ElfError);
}

// Every prefix of the file, and every byte of it changed: an answer or
// ElfError, never a read outside the file (run under a sanitizer to see one).
TEST(ElfSymbol, TruncatedAndCorruptedFilesNeverCrash) {
    const SymbolElf good = symbol_elf();
    auto look_up = [](std::span<const uint8_t> file) {
        try {
            (void)vx::elf_symbol(file, "func");
        } catch (const vx::ElfError&) {
        }
    };
    for (size_t length = 0; length <= good.file.size(); ++length)
        look_up(std::span<const uint8_t>(good.file).first(length));
    for (size_t i = 0; i < good.file.size(); ++i)
        for (uint8_t value : {0x00, 0x7f, 0x80, 0xff}) {
            std::vector<uint8_t> file = good.file;
            file[i] = value;
            look_up(file);
        }
    // A symbol table whose size ends within an entry: that entry is not read.
    SymbolElf elf = symbol_elf();
    elf.symtab().sh_size = 3 * sizeof(Elf32_Sym) - 1;
    EXPECT_EQ(vx::elf_symbol(elf.file, "func"), kFunction + 8);
}

}  // namespace
