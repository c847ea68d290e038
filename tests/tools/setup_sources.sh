#!/usr/bin/env bash
# setup_sources.sh SETUP: setup.sh's deb_src_entries derives deb-src entries
# from a machine's own binary apt sources (no archive address of its own).
# Checked on made-up sources in both formats (options, comments, disabled
# stanzas, an inline key, a vendor's archive) against the exact expected
# text, and on copies of this machine's /etc/apt: apt itself must read the
# result as the same repositories, suites and components as the binary
# entries of the distribution's suites. Nothing outside a temporary
# directory is read for writing.
set -u
setup=$1
# shellcheck source=/dev/null
source "$setup" || { echo "cannot source $setup"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# targets TYPE SOURCES_LIST PARTS_DIR CODENAME: what apt reads there, as
# "URI SUITE COMPONENT" lines of TYPE (deb or deb-src) for CODENAME's suites.
targets() {
    mkdir -p "$tmp/lists/partial"
    apt-get -o Dir::Etc::sourcelist="$2" -o Dir::Etc::sourceparts="$3" -o Dir::State::lists="$tmp/lists" \
        indextargets --no-release-info --format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)' 2>/dev/null |
        awk -v type="$1" -v c="$4" '$1 == type && ($3 == c || index($3, c "-") == 1) { print $2, $3, $4 }' | sort -u
}
# same_as_apt DIR CODENAME: the entries derived from DIR read, by apt, as
# the binary entries DIR holds for CODENAME.
same_as_apt() {
    local out=$tmp/derived.$RANDOM
    mkdir "$out"
    deb_src_entries "$1" "$2" >"$out/vx-deb-src.sources"
    local binary derived
    binary=$(targets deb "$1/sources.list" "$1/sources.list.d" "$2")
    derived=$(targets deb-src /dev/null "$out" "$2")
    if [ "$binary" != "$derived" ]; then
        fail "$1: apt reads the derived entries as [$derived], the binary ones as [$binary]"
    elif [ -z "$binary" ]; then
        echo "note: $1 has no binary entries for $2"
    fi
}

# Made-up sources, in both formats.
a=$tmp/a
mkdir -p "$a/sources.list.d"
cat >"$a/sources.list" <<'LIST'
# deb http://commented.example/debian bookworm main
deb [ arch=amd64 signed-by=/usr/share/keyrings/mirror.gpg ] http://mirror.example/debian bookworm main contrib
deb http://mirror.example/debian-security bookworm-security main  # a trailing comment
deb https://vendor.example/apt stable main
deb-src http://mirror.example/debian trixie main
LIST
cat >"$a/sources.list.d/mirror.sources" <<'SOURCES'
# A mirror with two addresses and an inline key.
Types: deb
URIs: http://one.example/debian
 http://two.example/debian
Suites: bookworm bookworm-updates trixie
Components: main non-free-firmware
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBFxZ
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb
URIs: http://disabled.example/debian
Suites: bookworm
Components: main
Enabled: no

types: deb deb-src
uris: http://lower.example/debian
suites: bookworm-backports
components: main

Types: deb
URIs: https://vendor.example/node
Suites: nodistro
Components: main
SOURCES
printf 'deb http://ignored.example/debian bookworm main\n' >"$a/sources.list.d/other.list.disabled"
want='Types: deb-src
URIs: http://mirror.example/debian
Suites: bookworm
Components: main contrib
Signed-By: /usr/share/keyrings/mirror.gpg

Types: deb-src
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb-src
URIs: http://one.example/debian http://two.example/debian
Suites: bookworm bookworm-updates
Components: main non-free-firmware
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBFxZ
 -----END PGP PUBLIC KEY BLOCK-----

Types: deb-src
URIs: http://lower.example/debian
Suites: bookworm-backports
Components: main'
got=$(deb_src_entries "$a" bookworm)
[ "$got" = "$want" ] || { fail "made-up sources:"; diff <(echo "$want") <(echo "$got"); }

if command -v apt-get >/dev/null; then
    same_as_apt "$a" bookworm
    # This machine's own sources, copied (its deb-src entries left out, as
    # setup.sh only derives when there are none).
    m=$tmp/machine
    mkdir -p "$m/sources.list.d"
    [ -f /etc/apt/sources.list ] && grep -v '^[[:space:]]*deb-src' /etc/apt/sources.list >"$m/sources.list"
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && ! grep -qiE '^[[:space:]]*(Types:.*deb-src|deb-src)' "$f" && cp "$f" "$m/sources.list.d/"
    done
    codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
    if [ -n "$codename" ]; then same_as_apt "$m" "$codename"; else echo "note: no VERSION_CODENAME here"; fi
else
    echo "note: no apt-get here: the entries were not read back by apt"
fi
[ $failures -eq 0 ] && echo "deb-src entries derived from the binary ones, in both formats"
exit $((failures != 0))
