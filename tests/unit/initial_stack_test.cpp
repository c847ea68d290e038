// The Linux i386 process entry stack as build_initial_stack writes it, read
// back word by word through GuestMemory.
#include <gtest/gtest.h>

#include <elf.h>

#include <map>
#include <string>
#include <vector>

#include "os/linux_i386/initial_stack.h"
#include "vx/elf_loader.h"

namespace {

constexpr uint64_t kMemorySize = 256ull << 20;
constexpr uint32_t kStackTop = 0x0c000000;
constexpr uint32_t kStackSize = 1u << 20;

vx::ElfImage test_image() {
    vx::ElfImage image;
    image.entry = 0x08048200;
    image.phdr_addr = 0x08048034;
    image.phent = 32;
    image.phnum = 3;
    image.image_end = 0x0804c000;
    return image;
}

class InitialStackTest : public ::testing::Test {
protected:
    uint32_t build(const std::vector<std::string>& argv, const std::vector<std::string>& envp,
                   vx::os::linux_i386::StackLayout layout = {kStackTop, kStackSize}) {
        return vx::os::linux_i386::build_initial_stack(memory_, image_, argv, envp, layout);
    }

    uint32_t word(uint32_t addr) {
        uint32_t value = 0xdeadbeef;
        EXPECT_TRUE(memory_.read(addr, &value, sizeof value)) << std::hex << addr;
        return value;
    }

    std::string string_at(uint32_t addr) {
        std::string s;
        for (char c; memory_.read(addr, &c, 1) && c != '\0'; ++addr) {
            s.push_back(c);
            if (s.size() > 1u << 16) break;
        }
        return s;
    }

    // Everything the stack describes, walked from esp as a libc start routine does.
    struct Walk {
        uint32_t argc = 0;
        std::vector<uint32_t> argv_ptrs, envp_ptrs;
        std::vector<std::pair<uint32_t, uint32_t>> auxv;  // including the final AT_NULL
        uint32_t end = 0;                                  // past the last auxv word
    };
    Walk walk(uint32_t esp) {
        Walk w;
        uint32_t p = esp;
        w.argc = word(p);
        p += 4;
        for (uint32_t i = 0; i < w.argc; ++i, p += 4) w.argv_ptrs.push_back(word(p));
        EXPECT_EQ(word(p), 0u) << "argv is not NULL-terminated";
        p += 4;
        for (uint32_t v; (v = word(p)) != 0 && w.envp_ptrs.size() < 10000; p += 4) w.envp_ptrs.push_back(v);
        p += 4;
        for (;;) {
            uint32_t key = word(p), value = word(p + 4);
            p += 8;
            w.auxv.emplace_back(key, value);
            if (key == AT_NULL || w.auxv.size() > 100) break;
        }
        w.end = p;
        return w;
    }

    std::map<uint32_t, uint32_t> auxv_map(const Walk& w) {
        std::map<uint32_t, uint32_t> m;
        for (auto [key, value] : w.auxv) {
            EXPECT_FALSE(m.contains(key)) << "auxv key " << key << " appears twice";
            m[key] = value;
        }
        return m;
    }

    vx::GuestMemory memory_{kMemorySize};
    vx::ElfImage image_ = test_image();
};

TEST_F(InitialStackTest, EspIsAlignedInsideTheStackWithArgcThere) {
    uint32_t esp = build({"prog", "one", "two"}, {"A=1"});
    EXPECT_EQ(esp % 16, 0u);
    EXPECT_GE(esp, kStackTop - kStackSize);
    EXPECT_LT(esp, kStackTop);
    EXPECT_EQ(word(esp), 3u);
}

// The top of the stack is mapped (the arguments and Linux's 128 KiB); the
// rest of it is the memory's grow-down region, unmapped until used.
TEST_F(InitialStackTest, StackTopIsMappedReadWriteAndTheRestGrowsDown) {
    build({"prog"}, {});
    const uint32_t mapped = vx::os::linux_i386::initial_stack_bytes({"prog"}, {}, kStackSize);
    EXPECT_EQ(mapped, vx::kPageSize + vx::os::linux_i386::kInitialStackSlack);
    const uint32_t low = kStackTop - mapped;
    EXPECT_EQ(memory_.perms_at(low), vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(kStackTop - 1), vx::kRead | vx::kWrite);
    EXPECT_EQ(memory_.perms_at(kStackTop), vx::kNone);
    EXPECT_EQ(memory_.perms_at(low - 1), vx::kNone);
    EXPECT_EQ(memory_.mapped_bytes(), mapped);
    EXPECT_EQ(memory_.grow_down_floor(), kStackTop - kStackSize);
    EXPECT_EQ(memory_.grow_down_low(), low);
}

TEST_F(InitialStackTest, InitialPartCoversTheArgumentsAndIsAtMostTheStack) {
    const std::vector<std::string> argv = {"prog", std::string(100000, 'a')};
    const std::vector<std::string> envp = {std::string(50000, 'e')};
    const uint32_t mapped = vx::os::linux_i386::initial_stack_bytes(argv, envp, kStackSize);
    EXPECT_GE(mapped, 150000u + vx::os::linux_i386::kInitialStackSlack);
    EXPECT_EQ(mapped % vx::kPageSize, 0u);
    uint32_t esp = build(argv, envp);
    EXPECT_GE(esp, kStackTop - mapped + vx::os::linux_i386::kInitialStackSlack);  // the slack is left below esp
    EXPECT_EQ(vx::os::linux_i386::initial_stack_bytes(argv, envp, 64u << 10), 64u << 10);
}

TEST_F(InitialStackTest, ArgvAndEnvpPointToTheirStrings) {
    const std::vector<std::string> argv = {"/bin/prog", "", "with space", "last"};
    const std::vector<std::string> envp = {"HOME=/root", "PATH=/bin:/usr/bin"};
    uint32_t esp = build(argv, envp);
    Walk w = walk(esp);
    ASSERT_EQ(w.argc, argv.size());
    ASSERT_EQ(w.argv_ptrs.size(), argv.size());
    ASSERT_EQ(w.envp_ptrs.size(), envp.size());
    for (size_t i = 0; i < argv.size(); ++i) {
        EXPECT_EQ(string_at(w.argv_ptrs[i]), argv[i]);
        // Strings sit above the pointer block, inside the stack.
        EXPECT_GE(w.argv_ptrs[i], w.end);
        EXPECT_LT(w.argv_ptrs[i], kStackTop);
    }
    for (size_t i = 0; i < envp.size(); ++i) {
        EXPECT_EQ(string_at(w.envp_ptrs[i]), envp[i]);
        EXPECT_GE(w.envp_ptrs[i], w.end);
        EXPECT_LT(w.envp_ptrs[i], kStackTop);
    }
}

TEST_F(InitialStackTest, EmptyArgvAndEnvp) {
    uint32_t esp = build({}, {});
    EXPECT_EQ(esp % 16, 0u);
    EXPECT_EQ(word(esp), 0u);
    EXPECT_EQ(word(esp + 4), 0u);  // argv terminator
    EXPECT_EQ(word(esp + 8), 0u);  // envp terminator
    Walk w = walk(esp);
    EXPECT_EQ(w.auxv.back().first, uint32_t(AT_NULL));
}

TEST_F(InitialStackTest, AuxvDescribesTheImage) {
    Walk w = walk(build({"prog"}, {"X=y"}));
    ASSERT_FALSE(w.auxv.empty());
    EXPECT_EQ(w.auxv.back(), std::make_pair(uint32_t(AT_NULL), 0u));
    auto aux = auxv_map(w);
    EXPECT_EQ(aux[AT_PAGESZ], 4096u);
    EXPECT_EQ(aux[AT_ENTRY], image_.entry);
    EXPECT_EQ(aux[AT_PHDR], image_.phdr_addr);
    EXPECT_EQ(aux[AT_PHENT], image_.phent);
    EXPECT_EQ(aux[AT_PHNUM], image_.phnum);
    EXPECT_FALSE(aux.contains(AT_SYSINFO)) << "there is no vsyscall entry to point at";
    ASSERT_TRUE(aux.contains(AT_EXECFN));
    EXPECT_EQ(string_at(aux[AT_EXECFN]), "prog");
    ASSERT_TRUE(aux.contains(AT_PLATFORM));
    EXPECT_EQ(string_at(aux[AT_PLATFORM]), "i686");
}

TEST_F(InitialStackTest, AtNullIsTheOnlyTerminatorAndComesLast) {
    Walk w = walk(build({"prog"}, {}));
    for (size_t i = 0; i + 1 < w.auxv.size(); ++i) EXPECT_NE(w.auxv[i].first, uint32_t(AT_NULL));
    EXPECT_EQ(w.auxv.back().first, uint32_t(AT_NULL));
    EXPECT_GT(w.auxv.size(), 5u);
}

TEST_F(InitialStackTest, AtRandomPointsAtSixteenReadableStackBytes) {
    Walk w = walk(build({"prog"}, {}));
    auto aux = auxv_map(w);
    ASSERT_TRUE(aux.contains(AT_RANDOM));
    uint32_t random = aux[AT_RANDOM];
    EXPECT_TRUE(memory_.accessible(random, 16, vx::kRead));
    EXPECT_GE(random, w.end);
    EXPECT_LE(uint64_t(random) + 16, kStackTop);
}

TEST_F(InitialStackTest, AtRandomBytesDifferBetweenStacks) {
    auto random_bytes = [&] {
        auto aux = auxv_map(walk(build({"p"}, {})));
        std::vector<uint8_t> bytes(16);
        EXPECT_TRUE(memory_.read(aux[AT_RANDOM], bytes.data(), bytes.size()));
        return bytes;
    };
    std::vector<uint8_t> first = random_bytes();
    // A second stack in the same place: the bytes must be drawn afresh, and
    // two equal 128-bit draws from getrandom are not going to happen.
    EXPECT_NE(random_bytes(), first);
}

TEST_F(InitialStackTest, ArgumentLongerThanTheStackIsAnError) {
    std::string huge(kStackSize, 'x');
    EXPECT_THROW(build({"prog", huge}, {}), vx::Error);
}

TEST_F(InitialStackTest, PointerBlockThatDoesNotFitIsAnError) {
    // 700 two-byte strings fit in 4 KiB; their 700 pointers (2800 bytes) do not.
    std::vector<std::string> argv(700, "a");
    EXPECT_THROW(build(argv, {}, {kStackTop, 0x1000}), vx::Error);
}

TEST_F(InitialStackTest, EnvironmentThatDoesNotFitIsAnError) {
    std::vector<std::string> envp(2000, "VARIABLE=value");
    EXPECT_THROW(build({"prog"}, envp, {kStackTop, 0x4000}), vx::Error);
}

TEST_F(InitialStackTest, JustFittingArgumentsAreAccepted) {
    std::vector<std::string> argv(100, "a");
    uint32_t esp = build(argv, {}, {kStackTop, 0x1000});
    EXPECT_EQ(word(esp), 100u);
    EXPECT_GE(esp, kStackTop - 0x1000);
}

TEST_F(InitialStackTest, LayoutOutsideGuestMemoryIsAnError) {
    EXPECT_THROW(build({"prog"}, {}, {uint32_t(kMemorySize) + 0x1000, kStackSize}), vx::Error);
    EXPECT_THROW(build({"prog"}, {}, {kStackTop + 4, kStackSize}), vx::Error);
    EXPECT_THROW(build({"prog"}, {}, {kStackTop, kStackSize + 4}), vx::Error);
    EXPECT_THROW(build({"prog"}, {}, {0x1000, 0x2000}), vx::Error);
}

TEST_F(InitialStackTest, StackOverlappingTheImageIsAnError) {
    EXPECT_THROW(build({"prog"}, {}, {image_.image_end + 0x1000, 0x2000}), vx::Error);
}

}  // namespace

namespace {

// A pointer block larger than the stack's own address must not wrap around
// to a bogus esp near 4 GiB.
TEST(InitialStackLow, PointerBlockLargerThanTheAddressIsAnError) {
    vx::GuestMemory memory(1u << 20);
    std::vector<std::string> many_empty(0x3800);
    EXPECT_THROW(vx::os::linux_i386::build_initial_stack(memory, vx::ElfImage{}, many_empty, {}, {0x10000, 0x10000}),
                 vx::Error);
}

}  // namespace
