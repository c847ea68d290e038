#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds examples/embed against
# it, with CMake (find_package(vx)) and with pkg-config, then runs both.
#   embed_example.sh CMAKE BUILD_DIR EXAMPLE_DIR PLUGIN GENERATOR C_COMPILER
set -euo pipefail
cmake=$1 build=$2 example=$3 plugin=$4 generator=$5 cc=$6
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

"$cmake" --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; exit 1; }
for f in include/vx/vx.h include/vx/sandbox.h include/vx/host_functions.h bin/vxrun bin/vxverify share/man/man1/vxrun.1 share/man/man3/vx.3 \
         share/vx/guest/include/vxguest.h share/vx/guest/runtime/start.S share/vx/guest/include/vx/plugin.h \
         share/vx/guest/runtime/plugin.c; do
  [ -e "$prefix/$f" ] || { echo "not installed: $f"; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name libvx.so -print -quit)")
for f in libvx.a pkgconfig/vx.pc cmake/vx/vxConfig.cmake cmake/vx/vxConfigVersion.cmake cmake/vx/VxPlugin.cmake; do
  [ -e "$libdir/$f" ] || { echo "not installed: $libdir/$f"; exit 1; }
done
"$prefix/bin/vxrun" --version | grep -q '^vxrun [0-9]' || { echo "vxrun --version says no version"; exit 1; }

check_output() {
  local output
  output=$("$@")
  echo "$output"
  grep -qx 'add(40, 2) = 42' <<<"$output" && grep -qx 'sum(1..10) = 55' <<<"$output" ||
    { echo "unexpected output from $1"; exit 1; }
}

"$cmake" -S "$example" -B "$work/build" -G "$generator" -DCMAKE_C_COMPILER="$cc" \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/configure.log" || { cat "$work/configure.log"; exit 1; }
"$cmake" --build "$work/build" >"$work/build.log" || { cat "$work/build.log"; exit 1; }
check_output "$work/build/call_plugin" "$plugin"

if command -v pkg-config >/dev/null; then
  export PKG_CONFIG_PATH=$libdir/pkgconfig
  # shellcheck disable=SC2046
  "$cc" -o "$work/call_plugin_pc" "$example/call_plugin.c" $(pkg-config --cflags --libs vx)
  check_output env LD_LIBRARY_PATH="$libdir" "$work/call_plugin_pc" "$plugin"
else
  echo "(no pkg-config here: its build line is not tried)"
fi

# libvx.a holds every layer the C API needs: the same program links it alone
# (with what it uses of the system: Zydis, libstdc++).
"$cc" -o "$work/call_plugin_static" "$example/call_plugin.c" -I"$prefix/include" "$libdir/libvx.a" \
  -lZydis -lstdc++ -lm
check_output "$work/call_plugin_static" "$plugin"
