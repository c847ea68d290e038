#!/usr/bin/env bash
# run.sh VXRUN GUEST: builds a host tree with a secret outside the grants and
# symlinks pointing out of them, runs GUEST under vxrun with /data read-only
# and /scratch read-write, and checks both the guest's verdicts and the host
# tree afterwards.
set -u
vxrun=$1 guest=$2
tree=$(mktemp -d); trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/outside" "$tree/grant/sub" "$tree/rw"
echo SECRET >"$tree/outside/secret.txt"
echo hello >"$tree/grant/file.txt"
ln -s "$tree/outside/secret.txt" "$tree/grant/abs_link"
ln -s ../outside/secret.txt "$tree/grant/rel_link"
ln -s file.txt "$tree/grant/inner_link"
ln -s ../outside "$tree/grant/dir_link"
ln -s "$tree/outside/created_by_guest" "$tree/rw/out_link"

"$vxrun" --mount "$tree/grant:/data:ro" --mount "$tree/rw:/scratch:rw" "$guest"
status=$?
[ "$status" -eq 0 ] || { echo "the guest saw $status wrong results"; exit 1; }
[ "$(cat "$tree/outside/secret.txt")" = SECRET ] || { echo "the secret changed"; exit 1; }
[ ! -e "$tree/outside/created_by_guest" ] || { echo "the guest created a file outside"; exit 1; }
[ "$(cat "$tree/rw/kept.txt")" = "written by the guest" ] || { echo "the guest's file is missing"; exit 1; }
[ "$(ls "$tree/grant" | wc -l)" -eq 6 ] || { echo "the read-only grant changed"; exit 1; }
echo "namespace held"
