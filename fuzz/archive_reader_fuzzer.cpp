// vxa's archive reader on arbitrary bytes: it either refuses them
// (FormatError) or gives members whose data lie inside them, apart from each
// other, and whose names the extractor judges without crashing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "vxa/archive.h"
#include "vxa/extractor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    try {
        const vxa::Archive archive(std::span(data, size));
        uint64_t total = 0;
        for (const auto* list : {&archive.members(), &archive.decoders()})
            for (const vxa::Member& member : *list) {
                const std::span<const uint8_t> bytes = archive.data(member);
                if (bytes.data() < data || bytes.data() + bytes.size() > data + size) abort();
                total += bytes.size();
                (void)vxa::path_problem(member.name);
            }
        if (total > size) abort();  // members that share bytes
    } catch (const vxa::FormatError&) {
    }
    return 0;
}
