#!/bin/sh
# list-files.sh DIR: one line per entry under DIR, sorted by path: "dir PATH",
# "file PATH SIZE SHA256", "link PATH -> TARGET" (or "other PATH"). What
# compare.sh compares of the files a program leaves behind when its
# reference is a recording (tests/conformance/expected/). POSIX sh with
# coreutils or busybox alike: record.sh runs it inside its VM too.
set -u
cd "$1" || exit 1
find . -mindepth 1 | LC_ALL=C sort | while IFS= read -r path; do
    if [ -L "$path" ]; then echo "link $path -> $(readlink "$path")"
    elif [ -d "$path" ]; then echo "dir $path"
    elif [ -f "$path" ]; then
        size=$(wc -c <"$path")
        sum=$(sha256sum <"$path")
        echo "file $path $((size)) ${sum%% *}"
    else echo "other $path"; fi
done
