#!/usr/bin/env python3
"""vxverify with the hash plug-ins of examples/verify and the hostile ones of
tests/verify/hostile: vxverify_test.py PART VXVERIFY PLUGIN_DIR, where PART is

  known_answers  the standards' test vectors (FIPS 180-4, RFC 1321, RFC 7693),
                 at several chunk sizes; a wrong digest is a mismatch
  host_tools     files of many sizes checked against lists the host's
                 sha256sum, sha1sum, md5sum and b2sum write (and Python's
                 hashlib for BLAKE2s), and --print against their output
  hostile        each hostile plug-in stopped and reported in one line on the
                 file that makes it misbehave, vxverify going on with the next
                 file and the next plug-in; each file from a reset sandbox
  cli            exit statuses, malformed lines, unreadable files, usage
  confined       vxverify puts a seccomp filter on itself once its plug-ins
                 are loaded (one filter more than it was started with, seen
                 in /proc while a plug-in loops), none with --no-host-filter,
                 and goes on from a plug-in stopped under it

Exit status 0 when every check held, 1 otherwise, 77 (skip) when nothing
could be compared (no host tools)."""

import hashlib
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SKIP = 77
failures = []


def check(condition, what, result=None):
    if condition:
        return
    text = f"FAIL: {what}"
    if result is not None:
        text += f"\n  command: {' '.join(map(str, result.args))}\n  exit status {result.returncode}"
        text += "\n  stdout:\n" + "".join("    " + l + "\n" for l in result.stdout.splitlines())
        text += "  stderr:\n" + "".join("    " + l + "\n" for l in result.stderr.splitlines())
    print(text, file=sys.stderr)
    failures.append(what)


def run(vxverify, *args, stdin=None):
    return subprocess.run([str(vxverify), *map(str, args)], capture_output=True, text=True, timeout=120,
                          input=stdin)


VECTORS = {
    # FIPS 180-4's examples (csrc.nist.gov), "abc" and the 448-bit message, and
    # a million times "a".
    "sha256": [(b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
               (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
               (b"a" * 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")],
    "sha1": [(b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
             (b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
             (b"a" * 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f")],
    # RFC 1321, appendix A.5.
    "md5": [(b"", "d41d8cd98f00b204e9800998ecf8427e"), (b"a", "0cc175b9c0f1b6a831c399e269772661"),
            (b"abc", "900150983cd24fb0d6963f7d28e17f72"),
            (b"message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (b"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
            (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
             "d174ab98d277d9f5a5611c2c9f419d9f"),
            (b"1234567890" * 8, "57edf4a22be3c955ac49da2e2107b67a")],
    # RFC 7693, appendices A and B.
    "blake2b": [(b"abc", "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                         "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")],
    "blake2s": [(b"abc", "508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982")],
}


def known_answers(vxverify, plugins, tmp):
    for algorithm, vectors in VECTORS.items():
        for i, (message, digest) in enumerate(vectors):
            f = tmp / f"{algorithm}_{i}"
            f.write_bytes(message)
            for chunk in ("1M", "4093", "64", "1"):
                if chunk == "1" and len(message) > 1000:
                    continue
                r = run(vxverify, "--plugin", f"{algorithm}={plugins / algorithm}", "--chunk", chunk, f, digest)
                check(r.returncode == 0 and r.stdout == f"{f}: OK\n",
                      f"{algorithm} vector {i} (chunk {chunk})", r)
            wrong = digest[:-1] + ("0" if digest[-1] != "0" else "1")
            r = run(vxverify, "--plugin", f"{algorithm}={plugins / algorithm}", f, wrong)
            check(r.returncode == 1 and r.stdout == f"{f}: FAILED\n", f"{algorithm} vector {i}: a wrong digest", r)
    return True


HOST_TOOLS = {"sha256": ["sha256sum"], "sha1": ["sha1sum"], "md5": ["md5sum"], "blake2b": ["b2sum"]}
TAGS = {"sha256": "SHA256", "sha1": "SHA1", "md5": "MD5", "blake2b": "BLAKE2b"}


def host_tools(vxverify, plugins, tmp):
    rng = random.Random(20260101)
    sizes = [0, 1, 55, 56, 63, 64, 65, 127, 128, 129, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (3 << 20) + 17]
    files = []
    for size in sizes:
        f = tmp / f"file_{size}"
        f.write_bytes(rng.randbytes(size))
        files.append(f)
    compared = False
    mixed_lines = []
    every_plugin = []
    for algorithm, tool in HOST_TOOLS.items():
        every_plugin += ["--plugin", f"{algorithm}={plugins / algorithm}"]
        if not shutil.which(tool[0]):
            print(f"no {tool[0]} on this host: {algorithm} is not compared with it", file=sys.stderr)
            continue
        compared = True
        listing = subprocess.run(tool + [str(f) for f in files], capture_output=True, text=True, check=True).stdout
        sums = tmp / f"{algorithm}.sums"
        sums.write_text(listing)
        r = run(vxverify, "--plugin", f"{algorithm}={plugins / algorithm}", "-c", sums)
        check(r.returncode == 0 and r.stdout == "".join(f"{f}: OK\n" for f in files),
              f"{algorithm}: {tool[0]}'s list checks", r)
        r = run(vxverify, "--plugin", f"{algorithm}={plugins / algorithm}", "--print", *files)
        check(r.returncode == 0 and r.stdout == listing, f"{algorithm}: --print is {tool[0]}'s output", r)
        tagged = subprocess.run(tool + ["--tag"] + [str(f) for f in files], capture_output=True, text=True,
                                check=True).stdout
        check(all(line.startswith(TAGS[algorithm] + " (") for line in tagged.splitlines()),
              f"{tool[0]} --tag says {TAGS[algorithm]}")
        mixed_lines += tagged.splitlines()
    # BLAKE2s: no coreutils tool; Python's hashlib.
    listing = "".join(f"{hashlib.blake2s(f.read_bytes()).hexdigest()}  {f}\n" for f in files)
    r = run(vxverify, "--plugin", f"blake2s={plugins / 'blake2s'}", "--print", *files)
    check(r.returncode == 0 and r.stdout == listing, "blake2s: --print is hashlib.blake2s's", r)
    if mixed_lines:
        # One list of every algorithm, tagged: each line to its plug-in.
        mixed = tmp / "mixed.sums"
        rng.shuffle(mixed_lines)
        mixed.write_text("\n".join(mixed_lines) + "\n")
        r = run(vxverify, *every_plugin, "--quiet", "-c", mixed)
        check(r.returncode == 0 and r.stdout == "", "a tagged list of every algorithm", r)
        # A byte changed in one file: that file, and only it, fails under each algorithm.
        changed = files[-1]
        data = bytearray(changed.read_bytes())
        data[len(data) // 2] ^= 1
        changed.write_bytes(bytes(data))
        r = run(vxverify, *every_plugin, "--quiet", "-c", mixed)
        check(r.returncode == 1 and sorted(r.stdout.splitlines()) == [f"{changed}: FAILED"] * (len(mixed_lines) // len(files)),
              "a changed file fails under each algorithm, and nothing else", r)
    return compared


def sum_digest(data):
    return (sum(data) & 0xffffffff).to_bytes(4, "little").hex()


# Hostile plug-in -> (the function it is stopped in, words its line holds,
# extra options). Each misbehaves on data starting with 'X'.
HOSTILE = {
    "loop": ("vx_hash_update", ["cpu time limit of the call"], ["--cpu-per-call", "0.2", "--cpu-per-mib", "0.2"]),
    "null_write": ("vx_hash_update", ["faulted", "page fault", "address 0x00000000"], []),
    "wild_write": ("vx_hash_update", ["faulted", "page fault", "address 0x00300010"], []),
    "read_outside": ("vx_hash_update", ["faulted", "address 0xfffff000"], []),
    "syscall_exit": ("vx_hash_update", ["made a system call (int $0x80, eax 1)"], []),
    "syscall_write": ("vx_hash_update", ["made a system call (int $0x80, eax 4)"], []),
    "mmap_loop": ("vx_hash_update", ["made a system call (int $0x80, eax 192)"], []),
    "stack_growth": ("vx_hash_update", ["memory limit exceeded"], ["--memory", "32M"]),
    "stack_smash": ("vx_hash_update", ["faulted", "page fault at eip 0x00400000"], []),
    "far_jump": ("vx_hash_update", ["faulted"], []),
    "digest_overrun": ("vx_hash_final", ["faulted", "page fault", "address 0x00201000"], []),
    "digest_before": ("vx_hash_final", ["wrote outside its digest"], []),
    "wrong_pointer": ("vx_hash_final", ["not the digest pointer it was given"], []),
}
# Plug-ins refused as they are loaded: the function, and the words.
REFUSED = {
    "huge_digest": ("vx_hash_digest_size", ["returned 4096, not 1 to 64"]),
    "huge_state": ("vx_hash_state_size", ["returned 4294967295, not 1 to 65536"]),
}


def hostile(vxverify, plugins, tmp):
    bad, good, after = tmp / "bad", tmp / "good", tmp / "after"
    bad.write_bytes(b"X marks the spot" * 1000)
    good.write_bytes(b"an ordinary file\n")
    after.write_bytes(b"and another one\n")
    good_sha256 = hashlib.sha256(good.read_bytes()).hexdigest()
    sha256 = ["--plugin", f"sha256={plugins / 'sha256'}"]
    for name, (function, words, options) in list(HOSTILE.items()) + [(n, (f, w, [])) for n, (f, w) in REFUSED.items()]:
        refused = name in REFUSED
        listed = tmp / f"{name}.sums"
        # The bad file, then files the same plug-in hashes, then another plug-in's.
        listed.write_text(f"evil ({bad}) = {sum_digest(bad.read_bytes())}\n"
                          f"evil ({good}) = {sum_digest(good.read_bytes())}\n"
                          f"evil ({after}) = {sum_digest(after.read_bytes())}\n"
                          f"sha256 ({good}) = {good_sha256}\n")
        r = run(vxverify, "--plugin", f"evil={plugins / ('hostile_' + name)}", *sha256, *options, "-c", listed)
        expected_out = ([f"{bad}: FAILED (plug-in evil unusable)", f"{good}: FAILED (plug-in evil unusable)",
                         f"{after}: FAILED (plug-in evil unusable)"] if refused else
                        [f"{bad}: FAILED (plug-in evil stopped)", f"{good}: OK", f"{after}: OK"]) + [f"{good}: OK"]
        reports = [l for l in r.stderr.splitlines() if "WARNING" not in l]
        prefix = "vxverify: " if refused else f"vxverify: {bad}: "
        check(r.returncode == 3 and r.stdout.splitlines() == expected_out and len(reports) == 1 and
              reports[0].startswith(prefix + f"plug-in evil stopped in {function}: ") and
              all(w in reports[0] for w in words) and "plug-in was here" not in r.stdout + r.stderr,
              f"hostile {name}: stopped in {function} ({', '.join(words)}), and vxverify goes on", r)
    # Fuel, rather than CPU time, stops the loop too.
    r = run(vxverify, "--plugin", f"evil={plugins / 'hostile_loop'}", "--instructions-per-byte", "100", bad,
            sum_digest(bad.read_bytes()))
    check(r.returncode == 3 and "instruction limit of the call exceeded" in r.stderr, "hostile loop: fuel stops it", r)
    # Each file starts from the plug-in as prepared: what one file's run left
    # in its memory (a count in its static data) is not the next file's.
    leaky_digest = (sum(good.read_bytes()) + 1).to_bytes(4, "little").hex()
    r = run(vxverify, "--plugin", f"leaky={plugins / 'hostile_leaky'}", good, leaky_digest, good, leaky_digest,
            good, leaky_digest)
    check(r.returncode == 0 and r.stdout == f"{good}: OK\n" * 3, "each file from a reset plug-in", r)
    # Not a plug-in at all.
    text = tmp / "not_a_program"
    text.write_text("#!/bin/sh\necho hello\n")
    r = run(vxverify, "--plugin", f"evil={text}", *sha256, "--algorithm", "evil", good, "00000000")
    check(r.returncode == 3 and "plug-in evil is not a static i386 program" in r.stderr and
          r.stdout == f"{good}: FAILED (plug-in evil unusable)\n", "a plug-in that is no program", r)
    r = run(vxverify, "--plugin", f"evil={tmp / 'nowhere'}", *sha256, "--algorithm", "evil", good, "00000000")
    check(r.returncode == 3 and "plug-in evil: cannot read" in r.stderr, "a plug-in that is not there", r)
    return True


def cli(vxverify, plugins, tmp):
    good = tmp / "good"
    good.write_bytes(b"hello\n")
    digest = hashlib.sha256(b"hello\n").hexdigest()
    sha256 = ["--plugin", f"sha256={plugins / 'sha256'}"]
    r = run(vxverify, *sha256, good, digest.upper())
    check(r.returncode == 0 and r.stdout == f"{good}: OK\n", "upper-case hex matches", r)
    r = run(vxverify, *sha256, "--quiet", good, digest)
    check(r.returncode == 0 and r.stdout == "", "--quiet says nothing of a match", r)
    r = run(vxverify, *sha256, tmp / "missing", digest)
    check(r.returncode == 1 and r.stdout == f"{tmp / 'missing'}: FAILED open or read\n", "a missing file", r)
    r = run(vxverify, *sha256, tmp, digest)
    check(r.returncode == 1 and "Is a directory" in r.stderr, "a directory", r)
    listed = tmp / "list"
    listed.write_text(f"{digest}  {good}\nnot a line\n{digest[:-2]}  {good}\n{digest} *{good}\n")
    r = run(vxverify, *sha256, "-c", listed)
    check(r.returncode == 1 and r.stdout == f"{good}: OK\n{good}: OK\n" and
          f"{listed}: 2: improperly formatted" in r.stderr and f"{listed}: 3: improperly formatted" in r.stderr,
          "malformed lines are reported and the others checked", r)
    r = run(vxverify, *sha256, "-c", "-", stdin=f"{digest}  {good}\n")
    check(r.returncode == 0 and r.stdout == f"{good}: OK\n", "a list on stdin", r)
    r = run(vxverify, *sha256, "--plugin", f"md5={plugins / 'md5'}", good, digest)
    check(r.returncode == 2 and "--algorithm" in r.stderr, "several plug-ins and no --algorithm", r)
    r = run(vxverify, *sha256, "--algorithm", "sha512", good, digest)
    check(r.returncode == 2 and "no plug-in named sha512" in r.stderr, "an --algorithm no plug-in has", r)
    r = run(vxverify, *sha256, good)
    check(r.returncode == 2, "FILE without HEX", r)
    r = run(vxverify, good, digest)
    check(r.returncode == 2, "no --plugin", r)
    r = run(vxverify, "--plugin", "sha256", good, digest)
    check(r.returncode == 2 and "NAME=PATH" in r.stderr, "--plugin without a path", r)
    r = run(vxverify, *sha256, "--chunk", "0", good, digest)
    check(r.returncode == 2, "--chunk 0", r)
    r = run(vxverify, *sha256, "-c", tmp / "no_list")
    check(r.returncode == 1 and "no_list" in r.stderr, "a list that is not there", r)
    return True


def seccomp_filters(status_text):
    for line in status_text.splitlines():
        if line.startswith("Seccomp_filters:"):
            return int(line.split()[1])
    return None


def confined(vxverify, plugins, tmp):
    inherited = seccomp_filters(Path("/proc/self/status").read_text())
    if inherited is None:
        print("SKIP: this kernel's /proc shows no Seccomp_filters", file=sys.stderr)
        return False
    data = tmp / "data"
    data.write_bytes(b"X" * 4096)  # what makes it loop
    after = tmp / "after"
    after.write_bytes(b"after\n")
    listed = tmp / "list"
    listed.write_text(f"evil ({data}) = {sum_digest(data.read_bytes())}\n"
                      f"sha256 ({after}) = {hashlib.sha256(after.read_bytes()).hexdigest()}\n")
    for options, filters in (([], inherited + 1), (["--no-host-filter"], inherited)):
        command = [str(vxverify), "--plugin", f"evil={plugins / 'hostile_loop'}", "--plugin",
                   f"sha256={plugins / 'sha256'}", "--cpu-per-call", "2", *options, "-c", str(listed)]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen = None
        # The plug-in loops for 2 s of CPU time: long enough to look, whatever the machine.
        for _ in range(200):
            try:
                status = Path(f"/proc/{process.pid}/status").read_text()
            except OSError:
                break
            seen = seccomp_filters(status)
            if seen == filters and process.poll() is None:
                break
            subprocess.run(["sleep", "0.01"])
        out, err = process.communicate(timeout=60)
        what = " ".join(options) or "by default"
        check(seen == filters, f"seccomp filters of vxverify {what}: {seen}, expected {filters}")
        check(process.returncode == 3 and "cpu time limit of the call" in err and f"{after}: OK" in out,
              f"vxverify {what} reports the looping plug-in and goes on: exit {process.returncode}, "
              f"stdout {out!r}, stderr {err!r}")
    return True


def main():
    part, vxverify, plugins = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    with tempfile.TemporaryDirectory() as tmp:
        compared = {"known_answers": known_answers, "host_tools": host_tools, "hostile": hostile,
                    "cli": cli, "confined": confined}[part](vxverify, plugins, Path(tmp))
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    if not compared:
        print("SKIP: no host tool to compare with", file=sys.stderr)
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
