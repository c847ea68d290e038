#pragma once
// Codecs of one's own (vxa add-codec): an encoder command and the static
// i386 decoder that undoes it, kept under a name in the user's
// configuration ($XDG_CONFIG_HOME/vxa/codecs/NAME/, else
// ~/.config/vxa/codecs/NAME/): the file `decoder` and the file `codec`,
// which holds the zip method id on its first line and the command on its
// second.
#include <cstdint>
#include <optional>
#include <string>

namespace vxa {

struct OwnCodec {
    std::string name;
    uint16_t method;
    std::string encoder;       // run by /bin/sh -c: the member on stdin, the compressed form on stdout
    std::string decoder_path;  // a vxa decoder (guest/include/vx/vxa_decoder.h)
};

// The method id of a codec of one's own when none is given: no registered
// zip method, so other zip tools say they cannot decode it.
inline constexpr uint16_t kOwnCodecMethod = 0xffff;

std::string own_codec_directory();
std::optional<OwnCodec> own_codec(const std::string& name);

// Checks the pair on a sample (encoded by the command, decoded by the
// decoder in its sandbox, compared) and keeps it under `name`, in place of
// one kept there before. Throws std::runtime_error saying what is wrong: a
// name that is not [A-Za-z0-9_.-] or is a codec of vxa's own, method 0, a
// decoder that is not one, a pair that does not give the sample back.
void add_own_codec(const std::string& name, uint16_t method, const std::string& encoder,
                   const std::string& decoder_path);

}  // namespace vxa
