#!/usr/bin/env python3
"""Hostile archives against `vxa extract` and `vxa test`: each attack is
built here (zipcraft.py) and must end as expected: an archive that lies about
its own structure is refused whole (exit 3) before anything is written; a
member that is unsafe, or whose decoder misbehaves, fails alone with its
reason (exit 1) while an honest member beside it is extracted; and nothing
ever appears outside the extraction directory.

    hostile_archives.py VXA DECODER_DIR   (DECODER_DIR: tests/vxa's decoders)
"""
import os
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zipcraft as z  # noqa: E402

VXA, DECODERS = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
failures = []


def decoder(behaviour):
    with open(os.path.join(DECODERS, "vxa_decoder_" + behaviour), "rb") as f:
        return f.read()


def honest():
    return z.Entry("ok.txt", b"an honest member\n")


class Run:
    """vxa run on an archive in a fresh directory: work/out is where it
    extracts; work/ holds a file beside it that nothing may touch."""

    def __init__(self, archive_bytes, command="extract", options=(), prepare=None):
        self.work = tempfile.mkdtemp(prefix="vxa-hostile-")
        self.out = os.path.join(self.work, "out")
        os.mkdir(self.out)
        self.archive = os.path.join(self.work, "a.zip")
        with open(self.archive, "wb") as f:
            f.write(archive_bytes)
        with open(os.path.join(self.work, "bystander"), "w") as f:
            f.write("untouched\n")
        if prepare:
            prepare(self)
        before = self.outside()
        args = [VXA, command, self.archive, *options]
        if command == "extract":
            args += ["-C", self.out]
        result = subprocess.run(args, capture_output=True, text=True, timeout=120)
        self.status, self.stderr = result.returncode, result.stderr
        self.escaped = self.outside() != before

    def outside(self):
        found = {}
        for root, dirs, files in os.walk(self.work):
            if os.path.abspath(root).startswith(self.out):
                continue
            for name in files + dirs:
                path = os.path.join(root, name)
                if os.path.abspath(path).startswith(self.out) or path == self.archive:
                    continue
                found[path] = open(path, "rb").read() if os.path.isfile(path) and not os.path.islink(path) else None
        return found

    def extracted(self, name):
        path = os.path.join(self.out, name)
        return open(path, "rb").read() if os.path.isfile(path) else None


def expect(what, run, status, message, honest_extracted=None):
    problems = []
    if run.status != status:
        problems.append(f"exit {run.status}, expected {status}")
    if message not in run.stderr:
        problems.append(f"no '{message}' in its message")
    if run.escaped:
        problems.append("something changed outside the extraction directory")
    if honest_extracted is not None and (run.extracted("ok.txt") is not None) != honest_extracted:
        problems.append("the honest member was " + ("not " if honest_extracted else "") + "extracted")
    if problems:
        failures.append(what)
        print(f"FAIL {what}: {'; '.join(problems)}\n  stderr: {run.stderr.strip()}")
    else:
        print(f"ok   {what}")


def member_attack(what, bad_entries, message, options=(), prepare=None, extra_entries=()):
    archive = z.build([*extra_entries, honest(), *bad_entries])
    expect(what, Run(archive, options=options, prepare=prepare), 1, message, honest_extracted=True)


def archive_attack(what, archive, message):
    expect(what, Run(archive), 3, message)
    expect(what + " (test)", Run(archive, "test"), 3, message)


# The archive's structure lies: refused whole.
one = z.Entry("a.txt", b"aaaa")
archive_attack("a directory that lists one member twice", z.build([one], directory_entries=[one, one]),
               "overlaps")
# Fifield's overlapping zip bomb: one member's bytes hold another whole.
inner = z.Entry("inner.txt", b"aaaa")
outer = z.Entry("outer.txt", z.local_record(inner))
inner.offset = 30 + len(outer.name) + len(z.vxa_record(outer.sha256))
archive_attack("a member inside another's bytes (an overlapping zip bomb)",
               z.build([outer], directory_entries=[outer, inner]), "overlaps")
archive_attack("a local header that names another file",
               z.build([z.Entry("a.txt", b"aaaa", local_name=b"b.txt")]), "its local header names it")
whole = z.build([z.Entry("a.txt", b"a" * 1000)])
archive_attack("a truncated archive", whole[:500], "not a zip file")
archive_attack("an end record that counts more members than there are",
               z.build([z.Entry("a.txt", b"aaaa")], count=1000), "counts more members")
archive_attack("two members with one name", z.build([z.Entry("a.txt", b"1"), z.Entry("a.txt", b"2")]),
               "two members are named")
archive_attack("an encrypted member", z.build([z.Entry("a.txt", b"aaaa", flags=1)]), "encrypted")
copies = decoder("copies")
misnamed, _ = z.decoder_entry(copies, sha256=b"\x11" * 32)
archive_attack("a decoder not named by its digest", z.build([misnamed]), "named by the SHA-256")
archive_attack("something else under .vxa/", z.build([z.Entry(".vxa/run.sh", b"rm -rf ~")]), "only decoders")

# Unsafe names: the member fails, nothing is made for it.
member_attack("an absolute path", [z.Entry("/tmp/vxa-hostile-absolute", b"x")], "absolute path")
member_attack("a path that climbs out", [z.Entry("../escaped.txt", b"x")], "climbs out")
member_attack("a path that climbs out from below", [z.Entry("a/../../escaped.txt", b"x")], "climbs out")
member_attack("a backslash path", [z.Entry("..\\escaped.txt", b"x")], "backslash")
member_attack("a symbolic link member", [z.Entry("link", b"../bystander", mode=z.S_IFLNK | 0o777)],
              "symbolic link")
member_attack("a device file", [z.Entry("dev", b"x", mode=0o020000 | 0o666)], "a device")
member_attack("a directory that is a symbolic link already there, leading out",
              [z.Entry("link/escaped.txt", b"x")], "in the way",
              prepare=lambda run: os.symlink(run.work, os.path.join(run.out, "link")))
member_attack("a file that exists", [z.Entry("exists.txt", b"new")], "exists already",
              prepare=lambda run: open(os.path.join(run.out, "exists.txt"), "w").write("old"))
replaced = Run(z.build([z.Entry("exists.txt", b"new")]), options=["--overwrite"],
               prepare=lambda run: os.symlink(os.path.join(run.work, "bystander"), os.path.join(run.out, "exists.txt")))
expect("--overwrite replaces a symbolic link there, not what it leads to", replaced, 0, "")
if replaced.extracted("exists.txt") != b"new" or os.path.islink(os.path.join(replaced.out, "exists.txt")):
    failures.append("overwrite")
    print("FAIL --overwrite did not replace the link with the member")

# Decoders: missing, tampered with, or misbehaving.
entry, copies_digest = z.decoder_entry(copies)
content = b"decoded by a decoder that copies\n" * 100
member_attack("a member whose decoder is not there", [z.Entry("m", content, method=8, decoder=b"\x22" * 32)],
              "not in the archive")
middle = len(copies) // 2
tampered, _ = z.decoder_entry(copies, stored_program=copies[:middle] + bytes([copies[middle] ^ 0xFF]) + copies[middle + 1:])
member_attack("a decoder whose bytes are not those its name says",
              [z.Entry("m", content, method=8, decoder=copies_digest)], "does not have the digest",
              extra_entries=[tampered])
member_attack("a wrong CRC", [z.Entry("m", content, method=8, decoder=copies_digest, crc=1)], "CRC-32",
              extra_entries=[entry])
member_attack("a wrong SHA-256", [z.Entry("m", content, method=8, decoder=copies_digest, sha256=b"\0" * 32)],
              "SHA-256", extra_entries=[entry])
member_attack("less output than declared",
              [z.Entry("m", content, method=8, decoder=copies_digest, size=len(content) + 1)], "decoded to",
              extra_entries=[entry])
member_attack("more than deflate can expand to", [z.Entry("m", b"x" * 10, method=8, decoder=copies_digest, size=3 << 30)],
              "more than deflate can expand to", extra_entries=[entry])
member_attack("an absurd ratio", [z.Entry("m", b"x" * 10, method=12, decoder=copies_digest, size=3 << 30)],
              "--max-ratio", extra_entries=[entry])
good = Run(z.build([entry, honest(), z.Entry("copied.txt", content, method=8, decoder=copies_digest)]))
expect("an honest decoder of the archive's own", good, 0, "")
if good.extracted("copied.txt") != content:
    failures.append("copied content")
    print("FAIL an honest decoder's member was not extracted as it was")

misbehaviours = [
    ("loops", "cpu time limit", ["--cpu-time", "0.3"]),
    ("hoards", "faulted", ["--memory", "96M"]),
    ("floods", "more than", []),
    ("faults", "faulted", []),
    ("calls_the_kernel", "system call", []),
    ("passes_bad_pointers", "bad pointer", []),
    ("reads_into_code", "not writable", []),
    ("asks_for_files", "vxa_open_file", []),
    ("overflows_its_stack", "faulted", []),
]
for behaviour, message, options in misbehaviours:
    entry, digest = z.decoder_entry(decoder(behaviour))
    member_attack(f"a decoder that {behaviour.replace('_', ' ')}",
                  [z.Entry("m", content, method=8, decoder=digest)], message, options=options,
                  extra_entries=[entry])

# Once its decoders are loaded, vxa extract confines itself: a seccomp
# filter (and a Landlock domain, which /proc does not show) while a decoder
# runs; none with --no-host-filter.
def seccomp_filters_while_decoding(options):
    work = tempfile.mkdtemp(prefix="vxa-confined-")
    entry, digest = z.decoder_entry(decoder("loops"))
    archive = os.path.join(work, "a.zip")
    with open(archive, "wb") as f:
        f.write(z.build([entry, z.Entry("m", content, method=8, decoder=digest)]))
    process = subprocess.Popen([VXA, "extract", archive, "-C", work, "--cpu-time", "3", *options],
                               stderr=subprocess.DEVNULL)
    filters = None
    for _ in range(100):
        time.sleep(0.02)
        try:
            status = open(f"/proc/{process.pid}/status").read()
        except OSError:
            break
        filters = int(status.split("Seccomp_filters:")[1].split()[0])
        if filters:
            break
    process.kill()
    process.wait()
    return filters


confined, unconfined = seccomp_filters_while_decoding([]), seccomp_filters_while_decoding(["--no-host-filter"])
# (Compared, not counted: the test itself may run under a filter of its own.)
if confined is not None and unconfined is not None and confined > unconfined:
    print("ok   vxa extract is confined while decoders run (and not with --no-host-filter)")
else:
    failures.append("confined")
    print(f"FAIL confinement: {confined} seccomp filters while decoding, {unconfined} with --no-host-filter")

# --strict stops at the first failure; test writes nothing.
strict = Run(z.build([z.Entry("../x", b"x"), honest()]), options=["--strict"])
expect("--strict stops at the first failure", strict, 1, "climbs out")
if strict.extracted("ok.txt") is not None:
    failures.append("strict")
    print("FAIL --strict went on past a failure")
tested = Run(z.build([honest()]), "test")
expect("test writes nothing", tested, 0, "")
if os.listdir(tested.out):
    failures.append("test wrote")
    print("FAIL vxa test wrote files")

print(f"{len(failures)} failed" if failures else "all hostile archives ended as expected")
sys.exit(1 if failures else 0)
