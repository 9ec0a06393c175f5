#!/usr/bin/env python3
"""cpu_split.py: where the operator's CPU goes, by layer, from `perf script` output.

usage: perf script -i FILE -F comm,tid,ip,sym,dso | python3 test/bench/cpu_split.py

Reads samples recorded with call stacks (`perf record --call-graph dwarf`, as
test/bench/profile-create.sh does with PROFILE_PERF=1) and sorts each into one class by the
innermost frame that belongs to a library of its own layer, walking from the leaf out:

  connection   libcurl, nghttp2 or libssl (HTTP/2 and TLS to the API server);
  event loop   libuv (its epoll_wait and the kernel below it);
  operator     anything else: the operator's code, cJSON, zstd, libyaml.

The operator is its own binary (any library outside the system's library directories) and
the libraries named in OPERATOR. Frames in any other system library (libc, libcrypto, the
dynamic loader, zlib, libidn2 ...), the kernel, the vDSO, or without a known library, are
passed over: they are counted with whoever called them (malloc under cJSON is the operator's,
AES-GCM under libssl and zlib under libcurl are the connection's, a certificate's signature
under pkg-c/tlsca is the operator's). An inlined frame belongs to the library of the function
it was inlined into.

A sample whose innermost counted frame is the client's libcurl callback at the boundary
(pkg-c/kube/client.c: on_poll, on_timer, on_socket) is shown on its own line: most such
samples sit at the instruction right after curl_multi_socket_action returns, the skid of time
spent below it, so the connection's share is at least its own line and at most with these.

Prints one line per class: samples, percent; then the total.
"""
import re
import sys
from collections import Counter

FRAME = re.compile(r"^\s+[0-9a-f]+ (.*) \((.*)\)\s*$")
CONNECTION = ("libcurl.so", "libnghttp2.so", "libssl.so")
LOOP = ("libuv.so",)
OPERATOR = ("libcjson.so", "libzstd.so", "libyaml")
SYSTEM = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "[")  # "[kernel.kallsyms]", "[vdso]", ...
BOUNDARY = ("on_poll", "on_timer", "on_socket")

CLASSES = [
    ("connection", "connection: libcurl, nghttp2, libssl, with what they call"),
    ("boundary", "boundary: the sample in the client's libcurl callbacks (skid from below)"),
    ("loop", "event loop: libuv, with epoll_wait in the kernel"),
    ("operator", "operator: its code, cJSON, zstd, with what they call"),
    ("none", "no library of a layer on the stack (a cut stack)"),
]


def samples(lines):
    """Yields each sample's frames, innermost first, as (symbol, library path)."""
    cur = None
    for line in lines:
        if not line.strip():
            if cur:
                yield cur
            cur = None
            continue
        if not line[0].isspace():
            cur = []  # the header line: comm tid
            continue
        m = FRAME.match(line)
        if m and cur is not None:
            cur.append((m.group(1), m.group(2)))
    if cur:
        yield cur


def classify(frames):
    """The class of one sample (a key of CLASSES)."""
    dsos = [d for _, d in frames]
    for i in range(len(dsos) - 1, -1, -1):  # an inlined frame: the library it was inlined into
        if dsos[i] == "inlined":
            dsos[i] = dsos[i + 1] if i + 1 < len(dsos) else "[unknown]"
    for (sym, _), dso in zip(frames, dsos):
        if any(c in dso for c in CONNECTION):
            return "connection"
        if any(c in dso for c in LOOP):
            return "loop"
        if any(c in dso for c in OPERATOR):
            return "operator"
        if dso.startswith(SYSTEM):
            continue
        return "boundary" if sym in BOUNDARY else "operator"
    return "none"


def main():
    counts = Counter(classify(s) for s in samples(sys.stdin))
    total = sum(counts.values())
    if not total:
        print("cpu_split: no samples with call stacks on stdin", file=sys.stderr)
        return 1
    for key, label in CLASSES:
        print(f"{counts[key]:7d} {100 * counts[key] / total:5.1f} %  {label}")
    print(f"{total:7d} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main())
