#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fault injection: with failslab and fail_page_alloc failing a tenth of
the allocations made with vtcp's code on the stack (its socket and
TIME-WAIT caches, the skbs and page fragments it sends and receives,
in process context and in softirq), connections fail with errors, never
with a crash, a hang or a leak:

1. 8 threads connect, send 64 KiB both ways, check it and close, over
   and over for a while; every call returns (data or an errno), and every
   connection that reports success moved its bytes exactly.
2. Afterwards, injection off: a new connection works, and every socket
   and TIME-WAIT entry goes (module refcount back to the listener's, none
   in use in either namespace); the debug run's kmemleak scan after rmmod
   covers the rest.

Needs a kernel with CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC and the fault
injection stack trace filter (the debug kernel of scripts/debug-kernel);
elsewhere every case is skipped."""
import errno
import hashlib
import os
import socket
import subprocess
import threading
import time

from vtcplib import (B, Tap, call_timed_out, case, listener, module_refs, ns,
                     recv_exactly, show_sockets, sysctl, two_hosts, vsock,
                     vtcp_states, wait_module_refs)

DEBUGFS = "/sys/kernel/debug"
KNOBS = ("failslab", "fail_page_alloc")
SECONDS = float(os.environ.get("VTCP_FAULTS_SECONDS", 20))
THREADS = 8
SIZE = 64 << 10
PORT = 7500
tap = Tap()


def knob(fault, name, value=None):
    path = os.path.join(DEBUGFS, fault, name)
    if value is None:
        with open(path) as f:
            return f.read().strip()
    with open(path, "w") as f:
        f.write(str(value))
    return None


def module_range():
    """vtcp's core image, [start, end), from /proc/modules."""
    with open("/proc/modules") as f:
        for line in f:
            w = line.split()
            if w[0] == "vtcp":
                start = int(w[5], 16)
                return start, start + int(w[1])
    return None


def can_inject():
    if not os.path.isdir(DEBUGFS + "/failslab"):
        os.system("mount -t debugfs none %s 2>/dev/null" % DEBUGFS)
    r = module_range()
    ok = all(os.path.exists(os.path.join(DEBUGFS, k, "require-start"))
             for k in KNOBS)
    return (r if ok and r and r[0] else None)


def inject(rng, percent):
    """@percent of the allocations with vtcp on the stack fail; 0: none."""
    for k in KNOBS:
        if percent:
            knob(k, "require-start", rng[0])
            knob(k, "require-end", rng[1])
            knob(k, "stacktrace-depth", 32)
            knob(k, "task-filter", "N")
            knob(k, "interval", 1)
            knob(k, "times", -1)
            knob(k, "verbose", 1)
            knob(k, "space", 0)
        knob(k, "probability", percent)
    knob("failslab", "ignore-gfp-wait", "N")
    knob("fail_page_alloc", "ignore-gfp-wait", "N")
    knob("fail_page_alloc", "ignore-gfp-highmem", "N")


def injected_failures():
    with open("/dev/kmsg", "rb") as f:
        os.set_blocking(f.fileno(), False)
        n = 0
        while True:
            try:
                line = f.read(8192)
            except BlockingIOError:
                break
            except OSError:		# EPIPE: overwritten; go on
                continue
            if not line:
                break
            n += b"FAULT_INJECTION: forcing a failure" in line
        return n


def worker(ls_addr, stop, result):
    """Connect, exchange, check, close, until @stop; count outcomes."""
    while not stop.is_set():
        data = os.urandom(SIZE)
        c = None
        try:
            with ns("a"):
                c = vsock()
            c.settimeout(10)
            c.connect(ls_addr)
            c.sendall(hashlib.sha256(data).digest() + data)
            c.shutdown(socket.SHUT_WR)
            got = recv_exactly(c, 32)
            if got[:32] == hashlib.sha256(data).digest():
                result["good"] += 1
            elif len(got) == 32:
                result["corrupt"] += 1	# a reply of the wrong hash
            else:
                result["short"] += 1	# the peer gave up: an error there
        except OSError as e:
            name = "timeout" if call_timed_out(e) else \
                errno.errorcode.get(e.errno, str(e.errno))
            result["errors"][name] = result["errors"].get(name, 0) + 1
        finally:
            if c:
                c.close()


def server(ls, stop, result):
    """Accept; read hash + data; answer with the hash of what came."""
    ls.settimeout(0.5)
    while not stop.is_set():
        try:
            s, _ = ls.accept()
        except (socket.timeout, OSError):
            continue
        threading.Thread(target=serve_one, args=(s, result)).start()


def serve_one(s, result):
    try:
        s.settimeout(10)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        body = buf[32:]
        ok = len(body) == SIZE and hashlib.sha256(body).digest() == buf[:32]
        if len(body) == SIZE and not ok:
            result["bad_in"] += 1	# bytes arrived, but not the ones sent
        s.sendall(hashlib.sha256(body).digest() if ok else b"x" * 16)
    except OSError:
        pass
    finally:
        s.close()


def in_use(host):
    """vtcp sockets in use in @host's namespace (/proc/net/protocols).
    (Slab counts would not do: KASAN's quarantine keeps freed objects.)"""
    out = subprocess.run(["ip", "netns", "exec", host, "cat",
                          "/proc/net/protocols"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        w = line.split()
        if w and w[0] == "VTCP":
            return int(w[2])
    return None


@case(4)
def under_faults():
    """Fail allocations with vtcp on the stack while connections run."""
    result = {"good": 0, "corrupt": 0, "short": 0, "bad_in": 0, "errors": {}}
    stop = threading.Event()
    injected_failures()			# forget what the log held
    inject(rng, 10)
    srv = threading.Thread(target=server, args=(ls, stop, result))
    srv.start()
    workers = [threading.Thread(target=worker, args=((B, PORT), stop, result))
               for _ in range(THREADS)]
    t0 = time.monotonic()
    for w in workers:
        w.start()
    time.sleep(SECONDS)
    stop.set()
    for w in workers:
        w.join(60)
    hung = [w for w in workers if w.is_alive()]
    inject(rng, 0)
    srv.join(5)
    fails = injected_failures()
    tap.msg("%.0f s: %d exchanges right, %d short (the peer failed), "
            "errors %r; %d failures injected (ratelimited count)" %
            (time.monotonic() - t0, result["good"], result["short"],
             result["errors"], fails))
    tap.ok(fails > 0, "allocations with vtcp on the stack were failed "
           "(%d FAULT_INJECTION lines)" % fails)
    tap.ok(not hung, "every call returned: no thread hung (%d of %d)" %
           (len(hung), THREADS))
    tap.ok(result["errors"] or result["short"],
           "some connections failed, with errors: %r" % result["errors"])
    tap.ok(result["corrupt"] == 0 and result["bad_in"] == 0,
           "no connection delivered wrong bytes (%d exchanges right)" %
           result["good"])


@case(3)
def after_faults():
    """Injection off: the stack works, and everything goes."""
    good = {"good": 0, "corrupt": 0, "short": 0, "bad_in": 0, "errors": {}}
    stop2 = threading.Event()
    srv2 = threading.Thread(target=server, args=(ls, stop2, good))
    srv2.start()
    done = threading.Event()
    one = threading.Thread(target=lambda: (worker((B, PORT), done, good)))
    one.start()
    time.sleep(1)
    done.set()
    one.join(30)
    stop2.set()
    srv2.join(5)
    tap.ok(good["good"] > 0 and not good["errors"],
           "injection off: connections work again (%d exchanges, errors %r)" %
           (good["good"], good["errors"]))
    ls.close()
    refs, secs = wait_module_refs(base - 1, 30)
    tap.ok(refs is not None and refs <= base - 1,
           "every socket and TIME-WAIT entry goes: module refcount %s, "
           "was %s with the listener (%.1f s)" % (refs, base, secs),
           "left: a %r, b %r" % (vtcp_states("a"), vtcp_states("b")))
    if refs is None or refs > base - 1:
        show_sockets(tap)
    used = (in_use("a"), in_use("b"))
    tap.ok(used == (0, 0), "no vtcp socket is in use in either namespace "
           "(a %r, b %r)" % used)


@case(under_faults.results + after_faults.results)
def no_fault_injection():
    """Every result of the two cases, skipped, by name."""
    for name in ("allocations with vtcp on the stack were failed",
                 "every call returned: no thread hung",
                 "some connections failed, with errors",
                 "no connection delivered wrong bytes",
                 "injection off: connections work again",
                 "every socket and TIME-WAIT entry goes",
                 "no vtcp socket is in use in either namespace"):
        tap.skip(name, "no fault injection with a stack filter in this "
                 "kernel (the debug kernel has it: make check-debug)")


rng = can_inject()
if not rng:
    tap.run([no_fault_injection])

two_hosts()
for h in ("a", "b"):
    with ns(h):
        sysctl("rto_min_ms", 20)
        sysctl("rto_initial_ms", 200)
        sysctl("msl_ms", 200)
        sysctl("syn_retries", 3)
        sysctl("synack_retries", 3)
ls = listener(PORT)
ls.listen(64)
base = module_refs()
tap.run([under_faults, after_faults])
