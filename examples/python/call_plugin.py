#!/usr/bin/env python3
"""Calls the functions of a sandboxed i386 plug-in from Python through
libvx.so's C API (vx/vx.h) with ctypes: add(40, 2), then sum() over a buffer
copied into the guest, then a function that faults, which ends only its call;
then a pool of sandboxes made from the plug-in, whose next tenant finds
nothing of the last.

    call_plugin.py [--library PATH/libvx.so] PLUGIN

PLUGIN is a static i386 program with the functions `add(a, b)`,
`sum(words, count)`, `fill(words, count, value)` and `write_null()` (which
faults): the project's
build/guests/plugin_functions. The library is --library, else $VX_LIBRARY,
else libvx where the dynamic loader finds it (an installed vx).
"""
import argparse
import contextlib
import ctypes
import ctypes.util
import os
import sys

VX_OK = 0
VX_READ, VX_WRITE = 1, 2
VX_EVENT_NAMES = {1: "syscall", 2: "fault", 3: "interrupted", 4: "limit exceeded", 5: "exit"}


class Event(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_int),
        ("fault_kind", ctypes.c_int),
        ("fault_eip", ctypes.c_uint32),
        ("fault_address", ctypes.c_uint32),
        ("has_fault_address", ctypes.c_int),
        ("exit_status", ctypes.c_int),
        ("limit", ctypes.c_int),
        ("limit_used", ctypes.c_uint64),
        ("limit_maximum", ctypes.c_uint64),
        ("limit_per_call", ctypes.c_int),
        ("host_call_problem", ctypes.c_int),
        ("description", ctypes.c_char * 128),
    ]


class CallResult(ctypes.Structure):
    _fields_ = [("returned", ctypes.c_int), ("value", ctypes.c_uint64), ("event", Event)]


class SandboxOptions(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64)
                for name in ("memory_size", "memory_limit", "fuel", "cpu_time_ns", "wall_time_ns")]


class VxError(Exception):
    pass


class Vx:
    """The few functions of the C API this example uses, checked."""

    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        lib = self.lib
        sandbox_p = ctypes.c_void_p
        signatures = {
            "vx_version": (ctypes.c_char_p, []),
            "vx_last_error": (ctypes.c_char_p, []),
            "vx_status_name": (ctypes.c_char_p, [ctypes.c_int]),
            "vx_sandbox_new": (ctypes.c_int, [ctypes.POINTER(SandboxOptions), ctypes.POINTER(sandbox_p)]),
            "vx_sandbox_free": (None, [sandbox_p]),
            "vx_load_plugin_file": (ctypes.c_int, [sandbox_p, ctypes.c_char_p]),
            "vx_symbol": (ctypes.c_int, [sandbox_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_uint32)]),
            "vx_map": (ctypes.c_int, [sandbox_p, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint]),
            "vx_write": (ctypes.c_int, [sandbox_p, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_size_t]),
            "vx_call": (ctypes.c_int, [sandbox_p, ctypes.c_uint32, ctypes.POINTER(ctypes.c_uint32),
                                       ctypes.c_size_t, ctypes.POINTER(CallResult)]),
            "vx_snapshot_take": (ctypes.c_int, [sandbox_p, ctypes.POINTER(ctypes.c_void_p)]),
            "vx_snapshot_free": (None, [ctypes.c_void_p]),
            "vx_pool_new": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(SandboxOptions), ctypes.c_size_t,
                                           ctypes.POINTER(ctypes.c_void_p)]),
            "vx_pool_free": (None, [ctypes.c_void_p]),
            "vx_pool_take": (ctypes.c_int, [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]),
            "vx_lease_sandbox": (sandbox_p, [ctypes.c_void_p]),
            "vx_lease_return": (ctypes.c_int, [ctypes.c_void_p]),
        }
        for name, (restype, argtypes) in signatures.items():
            function = getattr(lib, name)
            function.restype, function.argtypes = restype, argtypes

    def check(self, status, what):
        if status != VX_OK:
            raise VxError(f"{what}: {self.lib.vx_status_name(status).decode()}: "
                          f"{self.lib.vx_last_error().decode()}")


class Sandbox:
    """A sandbox's handle, whose plug-in's functions are called by name."""

    def __init__(self, vx, handle):
        self.vx = vx
        self.handle = handle

    def call(self, name, *args):
        """The function's 32-bit result, or VxError naming what ended the call."""
        entry = ctypes.c_uint32()
        self.vx.check(self.vx.lib.vx_symbol(self.handle, name.encode(), ctypes.byref(entry)), f"vx_symbol {name}")
        words = (ctypes.c_uint32 * max(len(args), 1))(*args)
        result = CallResult()
        self.vx.check(self.vx.lib.vx_call(self.handle, entry, words, len(args), ctypes.byref(result)), name)
        if not result.returned:
            kind = VX_EVENT_NAMES.get(result.event.kind, "event")
            raise VxError(f"{name}: {kind}: {result.event.description.decode()}")
        return result.value & 0xffffffff

    def map_words(self, address, words):
        """Maps a page-rounded buffer at `address` and copies `words` there."""
        data = (ctypes.c_uint32 * len(words))(*words)
        size = (ctypes.sizeof(data) + 4095) & ~4095
        self.vx.check(self.vx.lib.vx_map(self.handle, address, size, VX_READ | VX_WRITE), "vx_map")
        self.vx.check(self.vx.lib.vx_write(self.handle, address, data, ctypes.sizeof(data)), "vx_write")


class Plugin(Sandbox):
    """A sandbox of its own holding one plug-in."""

    def __init__(self, vx, path, fuel=10_000_000):
        super().__init__(vx, ctypes.c_void_p())
        options = SandboxOptions(fuel=fuel)
        vx.check(vx.lib.vx_sandbox_new(ctypes.byref(options), ctypes.byref(self.handle)), "vx_sandbox_new")
        try:
            vx.check(vx.lib.vx_load_plugin_file(self.handle, os.fsencode(path)), "vx_load_plugin_file")
        except VxError:
            self.close()
            raise

    def close(self):
        if self.handle:
            self.vx.lib.vx_sandbox_free(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Pool:
    """Sandboxes made from a snapshot of `plugin` as it is now, lent one at a
    time (`with pool.lease() as sandbox:`) and reset to the snapshot when
    given back."""

    def __init__(self, vx, plugin, max_sandboxes):
        self.vx = vx
        self.handle = ctypes.c_void_p()
        snapshot = ctypes.c_void_p()
        vx.check(vx.lib.vx_snapshot_take(plugin.handle, ctypes.byref(snapshot)), "vx_snapshot_take")
        try:  # (the pool keeps what it needs of the snapshot)
            vx.check(vx.lib.vx_pool_new(snapshot, None, max_sandboxes, ctypes.byref(self.handle)), "vx_pool_new")
        finally:
            vx.lib.vx_snapshot_free(snapshot)

    @contextlib.contextmanager
    def lease(self):
        lease = ctypes.c_void_p()
        self.vx.check(self.vx.lib.vx_pool_take(self.handle, ctypes.byref(lease)), "vx_pool_take")
        try:
            yield Sandbox(self.vx, ctypes.c_void_p(self.vx.lib.vx_lease_sandbox(lease)))
        finally:
            self.vx.check(self.vx.lib.vx_lease_return(lease), "vx_lease_return")

    def close(self):
        if self.handle:
            self.vx.lib.vx_pool_free(self.handle)
            self.handle = ctypes.c_void_p()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library",
                        default=os.environ.get("VX_LIBRARY") or ctypes.util.find_library("vx") or "libvx.so")
    parser.add_argument("plugin")
    arguments = parser.parse_args()
    vx = Vx(arguments.library)
    print(f"vx {vx.lib.vx_version().decode()}")
    with Plugin(vx, arguments.plugin) as plugin:
        print(f"add(40, 2) = {plugin.call('add', 40, 2)}")
        words = list(range(1, 101))
        buffer = 0x10000000
        plugin.map_words(buffer, words)
        print(f"sum(1..100) = {plugin.call('sum', buffer, len(words))}")
        try:
            plugin.call("write_null")
            print("write_null returned")
        except VxError as error:
            print(f"write_null stopped: {error}")
        # The sandbox goes on after a fault.
        print(f"add(2, 3) = {plugin.call('add', 2, 3)}")
        # A pool of sandboxes as the plug-in is now, its buffer written: a
        # tenant overwrites the buffer, the next finds it as it was.
        with Pool(vx, plugin, 2) as pool:
            with pool.lease() as sandbox:
                sandbox.call("fill", buffer, len(words), 0)
                print(f"a tenant's sum = {sandbox.call('sum', buffer, len(words))}")
            with pool.lease() as sandbox:
                print(f"the next tenant's sum(1..100) = {sandbox.call('sum', buffer, len(words))}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (VxError, OSError) as error:
        print(f"call_plugin.py: {error}", file=sys.stderr)
        sys.exit(1)
