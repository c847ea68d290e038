#!/usr/bin/env python3
"""Archives made by `vxa create` with every codec, over a corpus of files a
user has (text, binaries, compressed data, empty and large files, deep
directories, odd names), come back identical through `vxa extract`; `vxa
test` passes them; other zip readers (unzip, Python's zipfile) accept them,
and decode the methods they know to the same bytes; the same files make the
same archive; a zip file made elsewhere extracts with vxa's own decoders.

    round_trip.py VXA DECODER_DIR
"""
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile
import zlib

VXA, DECODERS = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
CODECS = ["stored", "deflate", "bzip2", "xz", "zstd"]
failures = []


def check(what, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + what + ("" if condition else f": {detail}"))
    if not condition:
        failures.append(what)


def vxa(*args, expect=0):
    result = subprocess.run([VXA, *args], capture_output=True, text=True, timeout=600)
    if result.returncode != expect:
        raise SystemExit(f"vxa {' '.join(args)}: exit {result.returncode}\n{result.stderr}")
    return result.stdout


def make_corpus(root):
    rng = random.Random(7)
    os.makedirs(root)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 9))) for _ in range(500)]
    text = b" ".join(rng.choice(words) for _ in range(200_000))
    files = {
        "text/words.txt": text,
        "text/empty": b"",
        "text/one byte": b"x",
        "binary/random.bin": rng.randbytes(300_000),
        "binary/vxa": open(VXA, "rb").read()[:2_000_000],
        "binary/zeros": bytes(3_000_000),
        "compressed/words.deflate": zlib.compress(text, 9),
        "odd/-leading dash": b"dash\n",
        "odd/spaces and 'quotes'.txt": b"spaces\n",
        "odd/ünïcödé ☃.txt": "snow\n".encode(),
        "large/big.bin": (rng.randbytes(1 << 20) + text) * 8,
    }
    deep = "/".join(f"d{i}" for i in range(40))
    files[deep + "/bottom.txt"] = b"deep\n"
    for name, content in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
    os.chmod(os.path.join(root, "binary/vxa"), 0o755)
    os.chmod(os.path.join(root, "text/words.txt"), 0o600)
    os.makedirs(os.path.join(root, "empty dir"))
    return files


def tree(root):
    found = {}
    for directory, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, root)
            mode = os.lstat(path).st_mode
            content = hashlib.sha256(open(path, "rb").read()).hexdigest() if os.path.isfile(path) else None
            found[relative] = (oct(mode), content)
    return found


missing = [c for c in CODECS[1:] if not os.path.isfile(os.path.join(DECODERS, c))]
if missing:
    print(f"skipped: no {', '.join(missing)} decoder in {DECODERS} (vxa.build_decoders could not build them)")
    sys.exit(77)

work = tempfile.mkdtemp(prefix="vxa-round-trip-")
os.chdir(work)
files = make_corpus("corpus")
expected = tree("corpus")
for codec in CODECS:
    archive = f"{codec}.zip"
    vxa("create", archive, "--codec", codec, "--decoders", DECODERS, "corpus")
    listing = json.loads(vxa("list", "--json", archive))
    names = {m["name"] for m in listing["members"]}
    check(f"{codec}: the listing has every file", all("corpus/" + n in names for n in files), sorted(names)[:5])
    check(f"{codec}: the archive carries one decoder", len(listing["decoders"]) == (0 if codec == "stored" else 1),
          listing["decoders"])
    vxa("test", archive)
    out = f"out-{codec}"
    os.mkdir(out)
    vxa("extract", archive, "-C", out)
    got = tree(os.path.join(out, "corpus"))
    check(f"{codec}: extracted as it was (content and modes)", got == expected,
          sorted(set(got.items()) ^ set(expected.items()))[:3])
    zipped = zipfile.ZipFile(archive)
    check(f"{codec}: Python's zipfile lists it", {i.filename for i in zipped.infolist()} >= {"corpus/" + n for n in files})
    if codec in ("stored", "deflate", "bzip2"):
        check(f"{codec}: Python's zipfile decodes it", zipped.testzip() is None)
        result = subprocess.run(["unzip", "-t", archive], capture_output=True, text=True)
        check(f"{codec}: unzip -t passes it", result.returncode == 0, result.stdout[-300:])
    else:
        result = subprocess.run(["unzip", "-l", archive], capture_output=True, text=True)
        check(f"{codec}: unzip -l lists it", result.returncode == 0 and "corpus/text/words.txt" in result.stdout,
              result.stdout[-300:])
    if codec == "deflate":
        stock = "out-unzip"
        os.mkdir(stock)
        subprocess.run(["unzip", "-q", archive, "-d", stock, "-x", ".vxa/*"], check=True)
        check("deflate: stock unzip extracts the same bytes", tree(os.path.join(stock, "corpus")) == expected)
    vxa("create", f"again-{codec}.zip", "--codec", codec, "--decoders", DECODERS, "corpus")
    check(f"{codec}: the same files make the same archive",
          open(archive, "rb").read() == open(f"again-{codec}.zip", "rb").read())

# Members picked by name, and a directory with all below it.
os.mkdir("picked")
vxa("extract", "zstd.zip", "-C", "picked", "corpus/text/words.txt", "corpus/odd/")
picked = tree("picked/corpus")
check("members picked by name", set(picked) == {"text", "text/words.txt", "odd", *[
    os.path.relpath(os.path.join("odd", n), ".") for n in os.listdir("corpus/odd")]}, sorted(picked))

# A zip file made elsewhere (no vxa records): vxa's own decoders.
with zipfile.ZipFile("python.zip", "w") as archive:
    archive.write("corpus/text/words.txt", compress_type=zipfile.ZIP_DEFLATED)
    archive.write("corpus/binary/random.bin", compress_type=zipfile.ZIP_BZIP2)
    archive.write("corpus/text/empty", compress_type=zipfile.ZIP_STORED)
os.mkdir("out-python")
vxa("extract", "python.zip", "-C", "out-python", "--decoders", DECODERS)
check("a zip file made elsewhere extracts with vxa's own decoders",
      open("out-python/corpus/text/words.txt", "rb").read() == files["text/words.txt"] and
      open("out-python/corpus/binary/random.bin", "rb").read() == files["binary/random.bin"])

# A codec of one's own: an encoder command and the decoder that undoes it,
# checked together before they are kept.
os.environ["XDG_CONFIG_HOME"] = os.path.join(work, "config")
raw_deflate = "python3 -c 'import sys, zlib; c = zlib.compressobj(9, zlib.DEFLATED, -15); " \
              "sys.stdout.buffer.write(c.compress(sys.stdin.buffer.read()) + c.flush())'"
vxa("add-codec", "rawdeflate", "--encoder", raw_deflate, "--decoder", os.path.join(DECODERS, "deflate"),
    "--method", "8")
refused = subprocess.run([VXA, "add-codec", "gzipped", "--encoder", "gzip -c", "--decoder",
                          os.path.join(DECODERS, "deflate")], capture_output=True, text=True)
check("add-codec refuses a decoder that does not undo its encoder",
      refused.returncode == 3 and "does not decode" in refused.stderr, refused.stderr)
vxa("create", "own.zip", "--codec", "rawdeflate", "corpus/text", "corpus/binary/random.bin")
os.mkdir("out-own")
vxa("extract", "own.zip", "-C", "out-own")
check("a codec of one's own round-trips",
      tree("out-own/corpus/text") == tree("corpus/text") and
      open("out-own/corpus/binary/random.bin", "rb").read() == files["binary/random.bin"])
check("its members are readable by unzip too (method 8)",
      subprocess.run(["unzip", "-tq", "own.zip"], capture_output=True).returncode == 0)

shutil.rmtree(work)
print(f"{len(failures)} failed" if failures else "every round trip came back identical")
sys.exit(1 if failures else 0)
