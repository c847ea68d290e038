// vxa: zip archives that carry their own sandboxed decoders (docs/vxa-format.md).
#include <CLI/CLI.hpp>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>
#include <vector>

#include "os/linux_i386/host_filter.h"
#include "os/linux_i386/landlock.h"
#include "vx/snapshot.h"
#include "vxa/archive.h"
#include "vxa/codec.h"
#include "vxa/creator.h"
#include "vxa/extractor.h"
#include "vxa/own_codecs.h"
#include "vxa/progress_bar.h"
#include "vxrun/limit_options.h"

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer stops the process with ptrace to look for leaks at exit, which
// the host filter forbids: the unit tests check the library for leaks instead.
extern "C" const char* __asan_default_options() { return "detect_leaks=0"; }
#endif

namespace {

constexpr int kExitOk = 0;
constexpr int kExitMemberFailed = 1;  // a member failed; the others were done
constexpr int kExitUsage = 2;
constexpr int kExitArchive = 3;       // the archive could not be read or made

// The decoders vxa carries into archives it makes: beside the build's, or
// the installed ones (share/vx/vxa/decoders beside bin/).
std::string default_decoder_directory() {
    char self[4096];
    const ssize_t length = readlink("/proc/self/exe", self, sizeof self - 1);
    if (length > 0) {
        std::string exe(self, size_t(length));
        const std::string installed = exe.substr(0, exe.rfind('/')) + "/../share/vx/vxa/decoders";
        if (access((installed + "/deflate").c_str(), R_OK) == 0) return installed;
    }
#ifdef VXA_DECODER_DIR
    return VXA_DECODER_DIR;
#else
    return {};
#endif
}

// A member's name as it may be shown on a terminal: control characters
// (which could move the cursor or retitle the window; C0, DEL and C1) as \xNN.
std::string shown(const std::string& name) {
    std::string text;
    auto escape = [&](unsigned char c) {
        char escaped[8];
        std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
        text += escaped;
    };
    for (size_t i = 0; i < name.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(name[i]);
        const unsigned char next = i + 1 < name.size() ? static_cast<unsigned char>(name[i + 1]) : 0;
        if (c < 0x20 || c == 0x7f) {
            escape(c);
        } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // U+0080-U+009F, the C1 controls
            escape(c);
            escape(next);
            ++i;
        } else {
            text += char(c);
        }
    }
    return text;
}

std::string dos_time_text(uint32_t dos_time) {
    char text[32];
    std::snprintf(text, sizeof text, "%04u-%02u-%02u %02u:%02u", 1980 + (dos_time >> 25), (dos_time >> 21) & 15,
                  (dos_time >> 16) & 31, (dos_time >> 11) & 31, (dos_time >> 5) & 63);
    return text;
}

const char* type_name(vxa::MemberType type) {
    switch (type) {
    case vxa::MemberType::Directory: return "directory";
    case vxa::MemberType::Symlink: return "symlink";
    case vxa::MemberType::Other: return "other";
    case vxa::MemberType::File: break;
    }
    return "file";
}

int list(const vxa::Archive& archive, bool json) {
    if (json) {
        nlohmann::json members = nlohmann::json::array();
        for (const vxa::Member& member : archive.members()) {
            nlohmann::json entry = {{"name", member.name},
                                    {"type", type_name(member.type)},
                                    {"size", member.size},
                                    {"compressed_size", member.compressed_size},
                                    {"method", vxa::method_name(member.method)},
                                    {"crc32", member.crc32},
                                    {"mode", member.mode},
                                    {"modified", dos_time_text(member.dos_time)}};
            if (member.sha256) entry["sha256"] = vxa::to_hex(*member.sha256);
            if (member.decoder) entry["decoder"] = vxa::to_hex(*member.decoder);
            members.push_back(entry);
        }
        nlohmann::json decoders = nlohmann::json::array();
        for (const vxa::Member& decoder : archive.decoders())
            decoders.push_back({{"sha256", vxa::to_hex(*decoder.sha256)},
                                {"size", decoder.size},
                                {"compressed_size", decoder.compressed_size}});
        // Names are bytes: what is not UTF-8 is shown as U+FFFD.
        const nlohmann::json listing{{"members", members}, {"decoders", decoders}};
        std::printf("%s\n", listing.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return kExitOk;
    }
    uint64_t total = 0, compressed = 0;
    std::printf("%12s %12s  %-12s %-16s  %s\n", "size", "compressed", "method", "modified", "name");
    for (const vxa::Member& member : archive.members()) {
        std::printf("%12llu %12llu  %-12s %-16s  %s\n", static_cast<unsigned long long>(member.size),
                    static_cast<unsigned long long>(member.compressed_size), vxa::method_name(member.method).c_str(),
                    dos_time_text(member.dos_time).c_str(), shown(member.name).c_str());
        total += member.size;
        compressed += member.compressed_size;
    }
    uint64_t decoder_bytes = 0;
    for (const vxa::Member& decoder : archive.decoders()) decoder_bytes += decoder.compressed_size;
    std::printf("%12llu %12llu  %zu members; %zu decoders carried in %llu bytes\n",
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(compressed),
                archive.members().size(), archive.decoders().size(), static_cast<unsigned long long>(decoder_bytes));
    return kExitOk;
}

// A Landlock domain in which only the extraction directory may be written
// (nothing at all read or written when testing), and a seccomp filter
// behind it (os/linux_i386's extractor or reader filter).
void confine_extraction(const std::vector<long>& engine_calls, int directory_fd) {
    vx::prepare_restores();
    tzset();  // the local time zone, read once
    vxa::ContentDigest warm_up;  // OpenSSL reads its configuration on first use
    std::vector<vx::os::linux_i386::HostRule> rules;
    if (directory_fd >= 0) rules.push_back({"", vx::os::linux_i386::HostAccess::ReadWrite, directory_fd});
    const vx::os::linux_i386::LandlockOutcome landlock = vx::os::linux_i386::enter_landlock_domain(rules);
    // Without it, the filter alone would let escaped code make files
    // anywhere the user may: say so, as vxrun does.
    if (!landlock.entered || !landlock.missing.empty())
        std::fprintf(stderr, "vxa: this kernel's confinement is partial (%s): files outside the directory are "
                             "not kept from a decoder that got out of its sandbox\n",
                     vx::os::linux_i386::describe(landlock).c_str());
    if (directory_fd >= 0)
        vx::os::linux_i386::install_extractor_filter(engine_calls);
    else
        vx::os::linux_i386::install_reader_filter(engine_calls);
}

int extract(const vxa::Archive& archive, vxa::ExtractOptions options, const std::string& directory, bool quiet,
            bool confine) {
    int directory_fd = -1;
    if (options.write) {
        directory_fd = open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (directory_fd < 0) {
            std::fprintf(stderr, "vxa: %s: %s\n", directory.c_str(), std::strerror(errno));
            return kExitUsage;
        }
    }
    vxa::ProgressBar bar(stderr, !quiet);
    vxa::Extractor extractor(archive, std::move(options), directory_fd);
    if (confine) {
        // Everything vxa reads is read by now (the archive is mapped, the
        // decoders loaded): code that got out of a decoder's translator
        // could then make files below the directory, and little else.
        extractor.load_decoders();
        try {
            confine_extraction(extractor.host_calls(), directory_fd);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "vxa: cannot confine itself: %s (--no-host-filter runs unconfined)\n", e.what());
            return kExitArchive;
        }
    }
    const std::vector<vxa::MemberOutcome> outcomes =
        extractor.run([&](uint64_t done, uint64_t total) { bar.update(done, total); });
    bar.finish();
    if (directory_fd >= 0) close(directory_fd);
    unsigned failed = 0;
    for (const vxa::MemberOutcome& outcome : outcomes) {
        if (outcome.ok) continue;
        ++failed;
        if (outcome.member)
            std::fprintf(stderr, "vxa: %s: %s\n", shown(outcome.member->name).c_str(), shown(outcome.reason).c_str());
        else
            std::fprintf(stderr, "vxa: %s\n", shown(outcome.reason).c_str());
    }
    if (!quiet && isatty(STDERR_FILENO))
        std::fprintf(stderr, "vxa: %zu members %s, %u failed\n", outcomes.size() - failed,
                     options.write ? "extracted" : "checked", failed);
    return failed ? kExitMemberFailed : kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"vxa: zip archives that carry their own sandboxed decoders."};
    app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
        return "vxa: " + CLI::FailureMessage::simple(failed, e);
    });
    app.set_version_flag("--version", "vxa " VX_VERSION);
    app.require_subcommand(1);

    std::string archive_path;
    std::vector<std::string> paths;
    vxa::CreateOptions create_options;
    create_options.decoder_directory = default_decoder_directory();
    CLI::App* create = app.add_subcommand("create", "make an archive of files and directories");
    create->add_option("archive", archive_path, "the archive to write")->required();
    create->add_option("paths", paths, "files and directories to put in it")->required();
    std::vector<std::string> codec_names;
    for (const vxa::Codec& codec : vxa::codecs()) codec_names.push_back(codec.name);
    create->add_option("--codec", create_options.codec,
                       "how members are compressed: " + CLI::detail::join(codec_names, ", ") +
                           ", or a codec added with add-codec")
        ->capture_default_str();
    create->add_option("--level", create_options.level, "the codec's level (0: its default)")->check(CLI::Range(0, 22));
    create->add_option("--decoders", create_options.decoder_directory, "where the decoders to carry are (DIR/CODEC)")
        ->capture_default_str();
    create->add_option("--decoder", create_options.decoder_file,
                       "carry this decoder (a static i386 vxa decoder) instead of vxa's own for the codec")
        ->check(CLI::ExistingFile);

    vxa::ExtractOptions extract_options;
    extract_options.builtin_decoders = default_decoder_directory();
    std::string directory = ".";
    bool quiet = false, json = false, no_host_filter = false;
    uint64_t cpu_time_ns = 0;
    auto add_decode_options = [&](CLI::App* command) {
        command->add_option("archive", archive_path, "the archive")->required();
        command->add_option("members", extract_options.only, "members to take (a directory's name ending in /: all below it)");
        command->add_option("--memory", extract_options.limits.memory, "memory each decoder may cost the host")
            ->transform(vxrun::size_value())
            ->capture_default_str();
        command->add_option("--cpu-time", cpu_time_ns, "CPU time a decoder may take per member (0.5 s), beside 1 s per MiB it has read and written")
            ->transform(vxrun::seconds_value());
        command->add_option("--max-ratio", extract_options.max_ratio,
                            "refuse members that declare more than N bytes per compressed byte (0: no bound)")
            ->capture_default_str();
        command->add_option("--max-size", extract_options.max_size,
                            "refuse to start when the members declare more than SIZE in all")
            ->transform(vxrun::size_value());
        command->add_option("--decoders", extract_options.builtin_decoders,
                            "vxa's own decoders (DIR/CODEC), for members that name none")
            ->capture_default_str();
        command->add_flag("--strict", extract_options.strict, "stop at the first member that fails");
        command->add_flag("-q,--quiet", quiet, "no progress, no summary");
        command->add_flag("--no-host-filter", no_host_filter,
                          "do not confine vxa once the decoders are loaded (no Landlock domain, no seccomp filter: "
                          "for debugging vxa itself)");
    };
    CLI::App* extract_command = app.add_subcommand("extract", "extract members, each decoded in a sandbox");
    add_decode_options(extract_command);
    extract_command->add_option("-C,--directory", directory, "where to extract to")->capture_default_str();
    extract_command->add_flag("--overwrite", extract_options.overwrite, "replace files that exist");
    CLI::App* test_command = app.add_subcommand("test", "decode and check every member, writing nothing");
    add_decode_options(test_command);
    CLI::App* list_command = app.add_subcommand("list", "list the members");
    list_command->add_option("archive", archive_path, "the archive")->required();
    list_command->add_flag("--json", json, "as JSON, for scripts");

    std::string codec_name, encoder, decoder_path;
    uint16_t method_id = vxa::kOwnCodecMethod;
    CLI::App* add_codec = app.add_subcommand("add-codec", "keep a codec of one's own, for create --codec NAME");
    add_codec->add_option("name", codec_name, "its name")->required();
    add_codec->add_option("--encoder", encoder, "a shell command: the member on stdin, the compressed form on stdout")
        ->required();
    add_codec->add_option("--decoder", decoder_path, "a static i386 vxa decoder that undoes it")
        ->required()
        ->check(CLI::ExistingFile);
    add_codec->add_option("--method", method_id, "the zip method id members get (other zip tools know it by this)")
        ->check(CLI::Range(1, 65535))
        ->capture_default_str();

    CLI11_PARSE(app, argc, argv);
    // An encoder command that exits early must not end vxa.
    signal(SIGPIPE, SIG_IGN);
    if (cpu_time_ns) extract_options.limits.cpu_per_member_ns = cpu_time_ns;

    try {
        if (*add_codec) {
            vxa::add_own_codec(codec_name, method_id, encoder, decoder_path);
            std::printf("vxa: %s kept in %s/%s (create --codec %s)\n", codec_name.c_str(),
                        vxa::own_codec_directory().c_str(), codec_name.c_str(), codec_name.c_str());
            return kExitOk;
        }
        if (*create) {
            const vxa::CreateReport report = vxa::create_archive(archive_path, paths, create_options);
            for (const std::string& skipped : report.skipped)
                std::fprintf(stderr, "vxa: skipped %s\n", shown(skipped).c_str());
            return report.skipped.empty() ? kExitOk : kExitMemberFailed;
        }
        const vxa::Archive archive = vxa::Archive::open(archive_path);
        if (*list_command) return list(archive, json);
        extract_options.write = bool(*extract_command);
        return extract(archive, extract_options, directory, quiet, !no_host_filter);
    } catch (const vxa::FormatError& e) {
        std::fprintf(stderr, "vxa: %s: %s\n", archive_path.c_str(), shown(e.what()).c_str());
        return kExitArchive;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "vxa: %s\n", e.what());
        return kExitArchive;
    }
}
