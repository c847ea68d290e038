#!/usr/bin/env python3
"""Fails when a file of one layer includes another layer's headers that its
layer may not use (docs/architecture.md). The build already refuses most of
these (each layer's library sees only the include roots it may use); this
check also catches what a shared root would let through: a system header of
another layer's dependency, an include of a layer's private headers written
relative to the source tree.

    scripts/check-layers.py [TREE]     exit 0: no forbidden include; 1: some
"""
import pathlib
import re
import sys

# Each layer: the folders it is made of, the project headers it may include
# (by prefix, as written in #include "..."), and the system headers only it
# and the layers named with them may include.
LAYERS = {
    "core": (["include/vx", "src/core"], ["vx/", "core/"]),
    "x86": (["src/x86"], ["vx/", "x86/"]),
    "dbt": (["src/dbt"], ["vx/", "core/", "x86/", "dbt/"]),
    "engines": (["src/engines"], ["vx/", "core/", "dbt/"]),
    "linux": (["src/os/linux_i386"], ["vx/", "os/linux_i386/"]),
    "vxa": (["src/vxa"], ["vx/", "vxa/"]),
    "tools": (["tools"], ["vx/", "os/linux_i386/", "tools/", "vxa/"]),
    "capi": (["src/capi"], ["vx/"]),
}
SYSTEM_HEADERS = {
    "Zydis/": {"x86", "dbt"},
    "seccomp.h": {"linux"},
    "linux/landlock.h": {"linux"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of(path, tree):
    rel = path.relative_to(tree).as_posix()
    for name, (folders, _) in LAYERS.items():
        if any(rel.startswith(folder + "/") for folder in folders):
            return name
    return None


def violations(tree):
    found = []
    for path in sorted(tree.rglob("*")):
        if path.suffix not in {".h", ".cpp", ".S", ".c"} or not path.is_file():
            continue
        layer = layer_of(path, tree)
        if layer is None:
            continue
        allowed = LAYERS[layer][1]
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            quoted, header = match.group(1) == '"', match.group(2)
            where = f"{path.relative_to(tree)}:{number}"
            if quoted:
                # A header of the layer's own, beside or below the file.
                beside = (path.parent / header).is_file() and ".." not in header.split("/")
                if not beside and not any(header.startswith(prefix) for prefix in allowed):
                    found.append(f"{where}: the {layer} layer includes \"{header}\"")
            else:
                for prefix, owners in SYSTEM_HEADERS.items():
                    if header.startswith(prefix) and layer not in owners:
                        found.append(f"{where}: the {layer} layer includes <{header}> (only {', '.join(sorted(owners))} may)")
    return found


def main():
    tree = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
    found = violations(tree.resolve())
    for line in found:
        print(line)
    if found:
        print(f"check-layers: {len(found)} forbidden include(s); the rules are in docs/architecture.md")
        return 1
    print("check-layers: every include follows the layer rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
