#!/usr/bin/env bash
# vxrun_cli.sh VXRUN HELLO SHOW_ENV PRINT_ENV: vxrun's exit-status contract for
# every kind of bad input, the bundled example's output, and the environment
# a guest is given.
set -u
vxrun=$1 hello=$2 show_env=$3 print_env=$4
failures=0 checks=0
scratch=$(mktemp -d); trap 'rm -rf "$scratch"' EXIT

# expect STATUS PATTERN -- ARGS...: runs vxrun ARGS, checks status and that
# stdout+stderr match the extended regex PATTERN.
expect() {
    local want=$1 pattern=$2; shift 3
    local out got
    out=$("$vxrun" "$@" 2>&1 </dev/null); got=$?
    checks=$((checks + 1))
    if [ "$got" -ne "$want" ] || ! grep -Eq -- "$pattern" <<<"$out"; then
        echo "FAIL: vxrun $* -> status $got (want $want), output: $out"
        failures=$((failures + 1))
    fi
}

printf 'just text\n' >"$scratch/text"
printf '\177ELF' >"$scratch/truncated"
mkdir "$scratch/dir"

expect 0   "Hello from inside the vx sandbox!"      -- "$hello"
expect 0   "argument: two words"                    -- "$hello" "two words"
expect 0   "argument: --memory"                     -- "$hello" --memory
expect 2   "PROGRAM is required"                    --
expect 2   "unknown option --no-such-flag"          -- --no-such-flag "$hello"
expect 2   "vxrun: --memory: not a size"            -- --memory lots "$hello"
expect 0   "Usage|usage"                            -- --help
expect 1   "environment entries: none"              -- --clear-env "$show_env"
expect 1   "environment entries: some"              -- --clear-env --env A=1 "$show_env"
expect 2   "--env wants K=V or K"                   -- --env =1 "$hello"
expect 2   "excludes|exclude"                       -- --clear-env --inherit-env "$hello"

# expect_env WANT ARGS...: the guest's whole environment under vxrun ARGS is
# exactly WANT (its entries, one a line). The host's environment holds a token
# that must reach the guest only when asked for.
expect_env() {
    local want=$1; shift
    local got
    got=$(VX_HOST_TOKEN=host-token-123 HOSTONLY=x "$vxrun" "$@" "$print_env" 2>&1 </dev/null)
    checks=$((checks + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: vxrun $* print_env: got [$got], want [$want]"
        failures=$((failures + 1))
    fi
}
path=PATH=/usr/local/bin:/usr/bin:/bin
expect_env "$path"                                   # nothing of the host's by default
expect_env ""                                        --clear-env
expect_env "$path"$'\n'"A=1"                          --env A=1
expect_env "A=1=2"                                   --clear-env --env A=1=2
expect_env "PATH=/bin"                               --env PATH=/bin
expect_env "$path"$'\n'"VX_HOST_TOKEN=host-token-123" --env VX_HOST_TOKEN
expect_env "$path"                                   --env VX_NOT_IN_THE_HOST_ENVIRONMENT
expect_env "$path"$'\n'"A=2"                          --env A=1 --env A=2
checks=$((checks + 1))
inherited=$(VX_HOST_TOKEN=host-token-123 "$vxrun" --inherit-env --env HOSTONLY=guest "$print_env" 2>&1 </dev/null)
if ! grep -qx "VX_HOST_TOKEN=host-token-123" <<<"$inherited" || ! grep -qx "HOSTONLY=guest" <<<"$inherited" ||
   [ "$(grep -c '^PATH=' <<<"$inherited")" -ne "$(env | grep -c '^PATH=')" ]; then
    echo "FAIL: --inherit-env: the guest got: $(head -c 500 <<<"$inherited")"
    failures=$((failures + 1))
fi
expect 2   "--mount wants HOST:GUEST"               -- --mount nocolon "$hello"
expect 2   "--mount mode must be ro or rw"          -- --mount "$scratch:/x:rx" "$hello"
expect 2   "guest path must be absolute"            -- --mount "$scratch:relative" "$hello"
expect 125 "--mount $scratch/missing: No such file" -- --mount "$scratch/missing:/x" "$hello"
# two grants at one guest path: the second would hide the first
expect 125 "/data is given to the guest already \\(by --mount $scratch\\)" -- --mount "$scratch:/data" --mount "$scratch:/data/" "$hello"
expect 125 "--tmp and --mount $scratch:/tmp both give the guest /tmp" -- --tmp --mount "$scratch:/tmp" "$hello"
expect 125 "/dev/null is given to the guest already \\(a device every guest has\\)" -- --mount "$scratch:/dev/null" "$hello"
expect 125 "--cwd /nowhere: not a directory"        -- --cwd /nowhere "$hello"
expect 0   '\[vx\] write\(1, "Hello from inside the vx sandbox!\\n", 34\) = 34' -- --trace "$hello"
expect 0   '\[vx\] exit\(0\) = 0'                   -- --trace "$hello"
expect 125 "--trace=$scratch/no/file: No such file" -- --trace="$scratch/no/file" "$hello"
# --trace=FILE: the log goes to the file, and the guest's output stays clean.
checks=$((checks + 1))
out=$("$vxrun" --trace="$scratch/trace.log" "$hello" 2>&1)
if [ "$out" != "Hello from inside the vx sandbox!" ] || ! grep -q '^\[vx\] write(1, "Hello' "$scratch/trace.log"; then
    echo "FAIL: --trace=FILE: output \"$out\", log: $(head -c 300 "$scratch/trace.log")"
    failures=$((failures + 1))
fi
expect 127 "No such file"                           -- "$scratch/missing"
expect 126 "not an ELF file"                        -- "$scratch/text"
expect 126 "truncated ELF header"                   -- "$scratch/truncated"
expect 126 "not a regular file"                     -- "$scratch/dir"
expect 126 "not a 32-bit ELF"                       -- /bin/true
expect 0   "Hello from inside"                      -- --memory 16M "$hello"  # the address space stays 512M
expect 126 "beyond guest memory"                    -- --no-limits --memory 16M "$hello"
expect 2   "--memory: Value 5242880000 not in range" -- --memory 5000M "$hello"
expect 2   "--memory: .*not a multiple of 4096"     -- --memory 1000 "$hello"
expect 2   "--memory: not a size"                   -- --memory 0x10M "$hello"
expect 2   "--output: .*overflow"                   -- --output 99999999999999G "$hello"
expect 2   "--output: not a size"                   -- --output=-1 "$hello"  # once 2^64-1: no limit
expect 2   "--cpu-time: not a time"                 -- --cpu-time=-1 "$hello"
expect 2   "--cpu-time: not a time"                 -- --cpu-time=inf "$hello"
expect 2   "--wall-time: must be above 0"           -- --wall-time=0 "$hello"
expect 2   "--instructions: not a count"            -- --instructions=many "$hello"
expect 2   "--instructions: not a count"            -- --instructions=-1 "$hello"
expect 2   "--open-files: Value 2 not in range 3 to 1024" -- --open-files 2 "$hello"
expect 0   "Hello from inside"                      -- --memory 64MiB --code-cache 32m --cpu-time 250ms --wall-time 1e3 --output 1k "$hello"
# Decimal, always: 010 is ten (CLI11 alone would read it as octal 8).
expect 137 "instruction limit exceeded: used 10 of 10" -- --instructions=010 "$hello"
expect 2   "excludes"                               -- --no-limits --cpu-time=1 "$hello"
expect 2   "--stats takes"                          -- --stats=xml "$hello"
expect 137 "instruction limit exceeded: used 10 of 10" -- --instructions=10 "$hello"

# The stack is counted as it grows, not whole: a small C program is counted
# less than the 8 MiB its stack may grow to (10 MiB when that was counted).
checks=$((checks + 1))
peak=$("$vxrun" --stats=json "$show_env" 2>&1 >/dev/null </dev/null |
       python3 -c 'import json,sys; print(json.loads(sys.stdin.read().splitlines()[-1])["memory_peak_bytes"])')
echo "a small C program is counted ${peak:-?} bytes at its peak"
if [ -z "$peak" ] || [ "$peak" -ge $((8 << 20)) ]; then
    echo "FAIL: --stats says memory_peak_bytes ${peak:-(none)}, not below the 8 MiB stack"
    failures=$((failures + 1))
fi

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" -eq 0 ]
