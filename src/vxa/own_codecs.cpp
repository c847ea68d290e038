#include "own_codecs.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "codec.h"
#include "decoder.h"

namespace vxa {
namespace {

void make_directories(const std::string& path) {
    for (size_t slash = path.find('/', 1);; slash = path.find('/', slash + 1)) {
        const std::string prefix = path.substr(0, slash);
        if (mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
            throw std::system_error(errno, std::generic_category(), prefix);
        if (slash == std::string::npos) return;
    }
}

bool valid_name(const std::string& name) {
    if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
    for (char c : name)
        if (!(isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) return false;
    return true;
}

// Text, binary and runs: a sample any codec must give back.
std::vector<uint8_t> sample() {
    std::vector<uint8_t> bytes;
    const std::string text = "vxa checks a codec of one's own on this sample before it keeps it. ";
    for (int i = 0; i < 200; ++i) bytes.insert(bytes.end(), text.begin(), text.end());
    uint32_t state = 1;
    for (int i = 0; i < 20000; ++i) {
        state = state * 1103515245 + 12345;
        bytes.push_back(uint8_t(state >> 16));
    }
    bytes.insert(bytes.end(), 30000, 0);
    return bytes;
}

}  // namespace

std::string own_codec_directory() {
    if (const char* config = std::getenv("XDG_CONFIG_HOME"); config && config[0] == '/')
        return std::string(config) + "/vxa/codecs";
    if (const char* home = std::getenv("HOME"); home && home[0] == '/') return std::string(home) + "/.config/vxa/codecs";
    throw std::runtime_error("neither XDG_CONFIG_HOME nor HOME says where codecs of one's own are kept");
}

std::optional<OwnCodec> own_codec(const std::string& name) {
    if (!valid_name(name)) return std::nullopt;
    const std::string directory = own_codec_directory() + "/" + name;
    std::ifstream in(directory + "/codec");
    if (!in) return std::nullopt;
    OwnCodec codec{name, 0, {}, directory + "/decoder"};
    std::string method;
    if (!std::getline(in, method) || !std::getline(in, codec.encoder))
        throw std::runtime_error(directory + "/codec: not a method id and a command on two lines");
    const unsigned long id = std::strtoul(method.c_str(), nullptr, 10);
    if (id == 0 || id > 0xffff) throw std::runtime_error(directory + "/codec: no method id 1 to 65535");
    codec.method = uint16_t(id);
    return codec;
}

void add_own_codec(const std::string& name, uint16_t method, const std::string& encoder,
                   const std::string& decoder_path) {
    if (!valid_name(name)) throw std::runtime_error("a codec's name is 1 to 64 of A-Z a-z 0-9 _ . -");
    if (codec_named(name)) throw std::runtime_error(name + " is one of vxa's own codecs");
    if (method == 0) throw std::runtime_error("method 0 is stored: a codec needs another id");
    if (encoder.empty()) throw std::runtime_error("no encoder command");
    if (encoder.find('\n') != std::string::npos) throw std::runtime_error("an encoder command of one line, please");
    const std::optional<std::vector<uint8_t>> decoder_file = read_decoder(decoder_path);
    if (!decoder_file) throw std::runtime_error("cannot read " + decoder_path);
    const std::vector<uint8_t>& program = *decoder_file;

    const std::vector<uint8_t> original = sample();
    std::vector<uint8_t> encoded, decoded;
    std::unique_ptr<Encoder> encoding = make_encoder({method, 0, encoder}, [&](std::span<const uint8_t> bytes) {
        encoded.insert(encoded.end(), bytes.begin(), bytes.end());
    });
    encoding->write(original);
    encoding->finish();
    try {
        Decoder decoder(program, DecoderLimits{});
        decoder.decode(encoded, original.size(), [&](std::span<const uint8_t> bytes) {
            decoded.insert(decoded.end(), bytes.begin(), bytes.end());
        });
    } catch (const DecodeFailed& e) {
        throw std::runtime_error("the decoder does not decode what the encoder gives: " + std::string(e.what()));
    }
    if (decoded != original) throw std::runtime_error("the decoder does not give back what the encoder was given");

    const std::string directory = own_codec_directory() + "/" + name;
    make_directories(directory);
    std::ofstream decoder(directory + "/decoder", std::ios::binary | std::ios::trunc);
    decoder.write(reinterpret_cast<const char*>(program.data()), std::streamsize(program.size()));
    decoder.close();
    if (!decoder) throw std::runtime_error("cannot write " + directory + "/decoder");
    std::ofstream codec(directory + "/codec", std::ios::trunc);
    codec << method << "\n" << encoder << "\n";
    codec.close();
    if (!codec) throw std::runtime_error("cannot write " + directory + "/codec");
}

}  // namespace vxa
