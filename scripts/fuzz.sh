#!/usr/bin/env bash
# Builds the fuzzers (fuzz/, clang + libFuzzer + ASan/UBSan) into build-fuzz/
# and runs each of them.
#   scripts/fuzz.sh            short fixed-seed runs, as CI does (a few minutes)
#   scripts/fuzz.sh SECONDS    each fuzzer for SECONDS, keeping its corpus in
#                              build-fuzz/corpus/NAME between runs
# A crash leaves its input in build-fuzz/crashes/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/.."
./setup.sh
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVX_FUZZ=ON >/dev/null
cmake --build build-fuzz
mkdir -p build-fuzz/crashes
# The ELF loader starts from real programs.
mkdir -p build-fuzz/corpus/elf_loader_fuzzer
cp build-fuzz/guests/hello build-fuzz/guests/length_oracle build-fuzz/corpus/elf_loader_fuzzer/

# The archive reader starts from small zip files: Python's, and vxa's own
# layout with a carried decoder (tests/vxa/zipcraft.py).
mkdir -p build-fuzz/corpus/archive_reader_fuzzer
python3 - build-fuzz/corpus/archive_reader_fuzzer <<'PY'
import io, sys, zipfile
sys.path.insert(0, "tests/vxa")
import zipcraft as z
out = sys.argv[1]
for name, method in (("stored", zipfile.ZIP_STORED), ("deflated", zipfile.ZIP_DEFLATED), ("bzip2", zipfile.ZIP_BZIP2)):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", method) as archive:
        archive.writestr("a/b.txt", b"hello " * 20)
        archive.writestr("a/", b"")
    open(f"{out}/python-{name}.zip", "wb").write(data.getvalue())
decoder, digest = z.decoder_entry(b"\x7fELF" + bytes(60))
member = z.Entry("m.txt", b"content", method=8, decoder=digest)
open(f"{out}/vxa.zip", "wb").write(z.build([decoder, member]))
PY

# runs per fuzzer in the short mode: each takes well under a minute here
declare -A short_runs=([decoder_length_fuzzer]=50000 [elf_loader_fuzzer]=50000
                       [guest_code_fuzzer]=3000 [syscall_fuzzer]=4000 [archive_reader_fuzzer]=500000)
status=0
# Inputs that once crashed a fuzzer (fuzz/regressions/NAME/) run first, every time.
for name in decoder_length_fuzzer elf_loader_fuzzer guest_code_fuzzer syscall_fuzzer archive_reader_fuzzer; do
  corpus=build-fuzz/corpus/$name
  mkdir -p "$corpus"
  if [ -d "fuzz/regressions/$name" ]; then
    if ! build-fuzz/fuzz/$name fuzz/regressions/$name/* >build-fuzz/$name.regressions.log 2>&1; then
      echo "$name: a past crash is back:"; tail -30 build-fuzz/$name.regressions.log; status=1
    fi
  fi
  if [ $# -eq 0 ]; then
    budget=(-runs="${short_runs[$name]}" -seed=1)
    # A fixed seed replays the same inputs only from the same corpus.
    corpus=$(mktemp -d); cp -r "build-fuzz/corpus/$name/." "$corpus/" 2>/dev/null || true
  else
    budget=(-max_total_time="$1")
  fi
  echo "== $name ${budget[*]}"
  log=build-fuzz/$name.log
  if build-fuzz/fuzz/$name "${budget[@]}" -max_len=4096 -timeout=10 -artifact_prefix=build-fuzz/crashes/$name- \
       "$corpus" >"$log" 2>&1; then
    grep -a -E "^Done|skipped|decoded|ending in" "$log" || true
  else
    echo "$name FAILED:"; tail -40 "$log"; status=1
  fi
  [ $# -eq 0 ] && rm -rf "$corpus"
done
exit $status
