#!/usr/bin/env bash
# grants.sh VXRUN GUEST: one host directory granted several times, read-write
# and read-only, nested and side by side (see grants_guest.c); runs GUEST
# under vxrun and checks that no read-only grant's file changed on the host.
set -u
vxrun=$1 guest=$2
tree=$(mktemp -d); trap 'rm -rf "$tree"' EXIT
D=$tree/D E=$tree/E
mkdir -p "$D/sub/dir" "$D/a/b/nested" "$D/rwsub" "$E"
echo f >"$D/rwsub/f"
echo original >"$D/sub/victim"
echo deep >"$D/sub/dir/deep"
echo nested >"$D/a/b/nested/file"
echo e >"$E/e.txt"
echo "file grant" >"$D/ro_file"
snapshot() { (cd "$tree" && find D/sub D/a/b/nested E -printf '%p %s %m %T@\n' | sort; cat D/sub/victim D/sub/dir/deep D/ro_file); }
before=$(snapshot)

"$vxrun" --mount "$D:/data:rw" --mount "$D/sub:/data/sub:ro" --mount "$D/a/b/nested:/data/a/b/nested:ro" \
  --mount "$D:/ro_again:ro" --mount "$D/ro_file:/ro_file:ro" \
  --mount "$D/rwsub:/rw_inner:rw" --mount "$E:/only/deep/grant:ro" "$guest"
status=$?
[ "$status" -eq 0 ] || { echo "the guest saw $status wrong results"; exit 1; }
# The guest renamed D/a to D/a2: the nested grant's files are there now.
[ -d "$D/a2/b/nested" ] || { echo "the rename of D/a did not happen"; exit 1; }
after=$( (cd "$tree" && find D/sub D/a2/b/nested E -printf '%p %s %m %T@\n' | sed 's|^D/a2/|D/a/|' | sort;
          cat D/sub/victim D/sub/dir/deep D/ro_file) )
[ "$before" = "$after" ] || { echo "a read-only grant changed:"; diff <(echo "$before") <(echo "$after"); exit 1; }
[ ! -e "$D/stolen" ] && [ ! -e "$D/flinked" ] || { echo "a read-only file got a name in the read-write grant"; exit 1; }
[ "$(cat "$D/target")" = "via link" ] || { echo "the read-write grant's file is missing"; exit 1; }
echo "the read-only grants held"
