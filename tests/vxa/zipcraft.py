"""Builds zip files byte by byte, as vxa lays them out (docs/vxa-format.md)
or deliberately not: the tests' way to make archives that no honest tool
would write."""
import hashlib
import struct
import zlib

VXA_EXTRA = 0x7876
DECODERS = ".vxa/decoders/"
S_IFREG, S_IFDIR, S_IFLNK = 0o100000, 0o040000, 0o120000


def raw_deflate(data):
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def vxa_record(sha256, decoder=None):
    body = bytes([1, 1 if decoder else 0]) + sha256 + (decoder or b"")
    return struct.pack("<HH", VXA_EXTRA, len(body)) + body


class Entry:
    """One member. `data` is what the archive stores (compressed); the
    declared size, CRC and SHA-256 default to those of `content`."""

    def __init__(self, name, content=b"", data=None, method=0, decoder=None, mode=S_IFREG | 0o644, **override):
        self.name = name.encode() if isinstance(name, str) else name
        self.data = content if data is None else data
        self.method = method
        self.size = override.get("size", len(content))
        self.crc = override.get("crc", zlib.crc32(content))
        self.sha256 = override.get("sha256", hashlib.sha256(content).digest())
        self.decoder = decoder
        self.mode = mode
        self.flags = override.get("flags", 0)
        self.local_name = override.get("local_name", self.name)
        self.record = override.get("record", True)
        self.offset = None


def decoder_entry(program, **override):
    digest = hashlib.sha256(program).digest()
    stored = override.pop("stored_program", program)
    return Entry(DECODERS + digest.hex(), stored, data=raw_deflate(stored), method=8,
                 sha256=override.pop("sha256", digest), **override), digest


def local_record(entry):
    """The local header and data of `entry`."""
    extra = vxa_record(entry.sha256, entry.decoder) if entry.record else b""
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, entry.flags, entry.method, 0, 0x5921, entry.crc,
                       len(entry.data), entry.size, len(entry.local_name), len(extra)) + entry.local_name + extra + entry.data


def build(entries, count=None, directory_entries=None):
    """The archive's bytes. `directory_entries`: the entries the central
    directory lists (default: all, once each), to make it lie; one not in
    `entries` must have its offset set."""
    out = bytearray()
    for entry in entries:
        entry.offset = len(out)
        out += local_record(entry)
    directory_at = len(out)
    listed = entries if directory_entries is None else directory_entries
    for entry in listed:
        extra = vxa_record(entry.sha256, entry.decoder) if entry.record else b""
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 3 << 8 | 63, 20, entry.flags, entry.method, 0, 0x5921,
                           entry.crc, len(entry.data), entry.size, len(entry.name), len(extra), 0, 0, 0,
                           entry.mode << 16, entry.offset)
        out += entry.name + extra
    count = len(listed) if count is None else count
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(out) - directory_at, directory_at, 0)
    return bytes(out)
