#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""`vtcp run -- CMD`: unmodified programs whose TCP sockets are vtcp's.

Hosts a and b (vtcplib.two_hosts), in the run's address family. Each
program runs under tools/vtcp/vtcp run, in a namespace of its own, and
the connection is proved to be vtcp's: the sockets say SO_PROTOCOL 253,
vtcp ss sees the listener, vtcp's ActiveOpens/PassiveOpens moved and TCP's
(/proc/net/snmp, which counts IPv4 and IPv6) did not.

1. Without the module, or with a protocol that is not vtcp's, vtcp run
   says so, exits 2 and does not run CMD; so it does when seccomp() fails
   (simulated with a filter of our own that refuses it), and in a kernel
   without seccomp user notification, where the other cases skip.
2. CMD's exit status comes back; a CMD that cannot be run is 127.
3. run_probe (selftests/run_probe.c, static when a static libc is there:
   the case of Go programs and static binaries) makes every kind of
   socket: TCP ones of the family, through libc and through syscall(2),
   are vtcp's with SOCK_NONBLOCK and SOCK_CLOEXEC kept; UDP, unix, raw,
   netlink and vtcp ones are left alone; vtcp run -v counts exactly the
   TCP ones (no other call was trapped).
4. Connections: Python's socket module and run_probe, both ends under
   vtcp run, bytes checked; Python's http.server with urllib and curl;
   socat if installed.
5. Inheritance: a child by fork(), a program exec'd by sh, a daemon left
   behind by CMD (served after vtcp run returned), and a program that
   moved to another network namespace (ip netns exec) after vtcp run
   started.
6. The cost (shown, not judged: TCG): a trapped socket() against a vtcp
   socket() made directly, and getppid(2) with and without the filter.
"""
import ctypes
import errno
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vtcplib import Tap, PROTO, V6, addr, case, two_hosts, _libc
from runlib import (FAM, HERE, VTCP, Opens, can_trap, listening, run, start,
                    url, wait_out)

PROBE = os.path.join(HERE, "run_probe")

tap = Tap(family=True)


# ---- 1. no vtcp: exit 2, CMD never runs -----------------------------------

def rmmod():
    return _libc.syscall(176, b"vtcp", os.O_NONBLOCK) == 0


def insmod():
    mod = os.environ.get("VM_MODULE") or "../build/%s/vtcp.ko" % \
        os.uname().release
    return subprocess.run(["insmod", mod]).returncode == 0


@case(2)
def no_vtcp():
    marker = tempfile.mktemp()
    if not rmmod():
        tap.skip("without the module: exit 2, CMD not run", "rmmod failed")
    else:
        r = run([VTCP, "run", "--", "touch", marker])
        insmod()
        tap.ok(r.returncode == 2 and "not loaded" in r.stderr and
               not os.path.exists(marker),
               "without the module: exit 2, \"not loaded\", CMD not run",
               "status %d, stderr %r" % (r.returncode, r.stderr))
    r = run([VTCP, "run", "-P", "200", "--", "touch", marker])
    tap.ok(r.returncode == 2 and "not vtcp's" in r.stderr and
           not os.path.exists(marker),
           "-P 200 (not the module's): exit 2, CMD not run",
           "status %d, stderr %r" % (r.returncode, r.stderr))


def refuse_seccomp():
    """In the child, before exec: seccomp() fails with ENOSYS from now on,
    as in a kernel without CONFIG_SECCOMP_FILTER (x86-64's numbers)."""
    filt = struct.pack("HBBI" * 4,
                       0x20, 0, 0, 0,			# ld [nr]
                       0x15, 0, 1, 317,			# jeq #__NR_seccomp
                       0x06, 0, 0, 0x00050000 | errno.ENOSYS,
                       0x06, 0, 0, 0x7fff0000)		# allow
    buf = ctypes.create_string_buffer(filt)
    prog = struct.pack("HxxxxxxP", 4, ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) or libc.prctl(22, 2, prog, 0, 0):
        os._exit(99)		# PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP


@case(1)
def no_seccomp():
    what = "seccomp() refused (a kernel without it, simulated): exit 2, " \
        "says so, CMD not run"
    if os.uname().machine != "x86_64":
        tap.skip(what, "the filter is written for x86-64")
        return
    marker = tempfile.mktemp()
    r = subprocess.run([VTCP, "run", "--", "touch", marker],
                       capture_output=True, text=True, timeout=60,
                       preexec_fn=refuse_seccomp)
    tap.ok(r.returncode == 2 and "seccomp" in r.stderr and
           not os.path.exists(marker), what,
           "status %d, stderr %r" % (r.returncode, r.stderr))


@case(3)
def exit_status():
    r = run([VTCP, "-P", str(PROTO), "run", "--", "true"])
    tap.eq(r.returncode, 0, "vtcp -P %d run: the module's protocol" % PROTO)
    r = run([VTCP, "run", "--", "sh", "-c", "exit 7"])
    tap.eq(r.returncode, 7, "CMD's exit status comes back")
    r = run([VTCP, "run", "--", "/nonexistent/cmd"])
    tap.eq(r.returncode, 127, "a CMD that is not there: 127")


# ---- 3. which sockets change ----------------------------------------------

@case(4)
def probe_sockets():
    linkage = run([PROBE, "linkage"]).stdout.strip()
    tap.msg("run_probe is linked %s" % linkage)
    r = run([VTCP, "run", "-v", "--", PROBE, "sockets", str(PROTO)], "a")
    lines = dict(l.split(" ", 1) for l in r.stdout.splitlines())
    fam = "tcp" + FAM
    want = {fam: (0, 0), fam + "-ipproto": (0, 0), fam + "-both": (1, 1),
            fam + "-syscall": (0, 1) if V6 else (0, 0)}
    if not V6:
        want.update({"tcp4-nonblock": (1, 0), "tcp4-cloexec": (0, 1)})
    bad = {k: lines.get(k) for k, (nb, ce) in want.items()
           if lines.get(k) != "protocol=%d nonblock=%d cloexec=%d" %
           (PROTO, nb, ce)}
    tap.ok(r.returncode == 0 and not bad,
           "%s program: its TCP sockets are vtcp's, flags kept" % linkage,
           "status %d, wrong: %r\n%s" % (r.returncode, bad, r.stderr))
    tap.ok(lines.get(fam + "-syscall", "").startswith("protocol=%d" % PROTO),
           "socket(2) called without libc (as Go does) is trapped too",
           repr(lines))
    others = {"udp4": 17, "udp6": 17, "unix": 0, "raw4": 255, "netlink": 0,
              "vtcp4": PROTO, "vtcp6": PROTO}
    bad = {k: lines.get(k) for k, p in others.items()
           if not lines.get(k, "").startswith("protocol=%d " % p)}
    tap.ok(not bad and lines.get("bad-type") == "errno=22",
           "UDP, unix, raw, netlink, vtcp sockets left alone; a bad type "
           "still EINVAL", repr(bad or lines.get("bad-type")))
    made = r.stderr.count("vtcp socket, fd")
    tap.ok(made == 10 and "10 vtcp sockets made, 0 failed" in r.stderr,
           "vtcp run -v: 10 socket() calls trapped, the 10 TCP ones",
           r.stderr)


# ---- 4. connections -------------------------------------------------------

PY_SERVER = r"""
import hashlib, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
ls = socket.socket(fam, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], int(sys.argv[2])))
ls.listen(4)
c, _ = ls.accept()
h, n = hashlib.sha256(), 0
while n < int(sys.argv[3]):
    d = c.recv(65536)
    if not d:
        break
    h.update(d)
    n += len(d)
c.sendall(h.hexdigest().encode())
print("server", ls.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL),
      c.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL), n, flush=True)
c.close()
"""

PY_CLIENT = r"""
import hashlib, os, socket, sys
data = os.urandom(int(sys.argv[3]))
c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=30)
c.sendall(data)
got = b""
while len(got) < 64:
    d = c.recv(64)
    if not d:
        break
    got += d
print("client", c.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL),
      got.decode() == hashlib.sha256(data).hexdigest(), flush=True)
"""


@case(2)
def python_pair():
    port, size = 7101, 1 << 20
    opens = Opens(tap)
    srv = start([VTCP, "run", "--", "python3", "-c", PY_SERVER, addr("b"),
                 str(port), str(size)], "b")
    seen = listening("b", port)
    cl = run([VTCP, "run", "--", "python3", "-c", PY_CLIENT, addr("b"),
              str(port), str(size)], "a")
    rc, out, err = wait_out(srv)
    tap.ok(seen and rc == 0 and cl.returncode == 0 and
           out.split() == ["server", str(PROTO), str(PROTO), str(size)] and
           cl.stdout.split() == ["client", str(PROTO), "True"],
           "python3 sockets, both ends under vtcp run: 1 MiB, digest "
           "matches, vtcp ss saw the listener",
           "ss %s; server %d %r %r; client %d %r %r" %
           (seen, rc, out, err, cl.returncode, cl.stdout, cl.stderr))
    opens.check("python3")


@case(2)
def probe_pair():
    port, size = 7102, 3 << 20
    opens = Opens(tap)
    srv = start([VTCP, "run", "-v", "--", PROBE, "serve", addr("b"),
                 str(port)], "b")
    seen = listening("b", port)
    cl = run([VTCP, "run", "--", PROBE, "client", addr("b"), str(port),
              str(size)], "a")
    rc, out, err = wait_out(srv)
    # Thousands of reads and writes, one accept(): one call trapped.
    tap.ok(seen and rc == 0 and cl.returncode == 0 and
           cl.stdout.split() == ["echoed", str(size), "bytes",
                                  "protocol=%d" % PROTO] and
           err.count("vtcp socket, fd") == 1 and
           "1 vtcp sockets made, 0 failed" in err,
           "run_probe serve/client under vtcp run: 3 MiB echoed intact, "
           "the server's socket() the one call trapped",
           "ss %s; server %d %r; client %d %r %r" %
           (seen, rc, err, cl.returncode, cl.stdout, cl.stderr))
    opens.check("run_probe")


@case(4)
def http_server():
    port = 7103
    d = tempfile.mkdtemp()
    body = os.urandom(2 << 20)
    with open(os.path.join(d, "blob"), "wb") as f:
        f.write(body)
    srv = start([VTCP, "run", "--", "python3", "-m", "http.server",
                 "--bind", addr("b"), "--directory", d, str(port)], "b")
    seen = listening("b", port)
    opens = Opens(tap)
    get = ("import sys, urllib.request; sys.stdout.buffer.write("
           "urllib.request.urlopen(sys.argv[1], timeout=30).read())")
    r = subprocess.run(["ip", "netns", "exec", "a", VTCP, "run", "--",
                        "python3", "-c", get, url("b", port, "blob")],
                       capture_output=True, timeout=60)
    tap.ok(seen and r.returncode == 0 and r.stdout == body,
           "python3 -m http.server and urllib: 2 MiB file intact",
           "ss %s; status %d, %d bytes, %r" %
           (seen, r.returncode, len(r.stdout), r.stderr[-500:]))
    opens.check("urllib")
    if not shutil.which("curl"):
        tap.skip("curl from http.server", "no curl")
        tap.skip("curl: vtcp opens", "no curl")
    else:
        opens = Opens(tap)
        out = os.path.join(d, "got")
        r = run([VTCP, "run", "--", "curl", "-gsS", "-o", out,
                 url("b", port, "blob")], "a")
        ok = r.returncode == 0 and open(out, "rb").read() == body \
            if os.path.exists(out) else False
        tap.ok(ok, "curl from http.server: 2 MiB file intact",
               "status %d %r" % (r.returncode, r.stderr))
        opens.check("curl")
    srv.terminate()
    wait_out(srv, 10)
    shutil.rmtree(d)


@case(2)
def socat():
    if not shutil.which("socat"):
        tap.skip("socat to socat", "no socat")
        tap.skip("socat: vtcp opens", "no socat")
        return
    port = 7104
    d = tempfile.mkdtemp()
    body = os.urandom(1 << 20)
    src, dst = os.path.join(d, "src"), os.path.join(d, "dst")
    with open(src, "wb") as f:
        f.write(body)
    opens = Opens(tap)
    lis = "TCP%s-LISTEN:%d,bind=%s,reuseaddr" % (FAM, port, addr("b"))
    srv = start([VTCP, "run", "--", "socat", "-u", lis,
                 "CREATE:" + dst], "b")
    seen = listening("b", port)
    a = "[%s]" % addr("b") if V6 else addr("b")
    cl = run([VTCP, "run", "--", "socat", "-u", "OPEN:" + src,
              "TCP%s:%s:%d" % (FAM, a, port)], "a")
    rc, _, err = wait_out(srv)
    got = open(dst, "rb").read() if os.path.exists(dst) else b""
    tap.ok(seen and rc == 0 and cl.returncode == 0 and got == body,
           "socat to socat: 1 MiB file intact",
           "ss %s; server %d %r; client %d %r" %
           (seen, rc, err, cl.returncode, cl.stderr))
    opens.check("socat")
    shutil.rmtree(d)


# ---- 5. inheritance -------------------------------------------------------

FORKER = r"""
import os, socket, subprocess, sys
pid = os.fork()
if pid == 0:
    s = socket.socket(socket.AF_INET6 if sys.argv[1] == "6" else
                      socket.AF_INET, socket.SOCK_STREAM)
    os._exit(s.getsockopt(socket.SOL_SOCKET, socket.SO_PROTOCOL))
forked = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
execd = subprocess.run(["sh", "-c", sys.argv[2] + " sockets " + sys.argv[3]],
                       capture_output=True, text=True).stdout
print(forked, "tcp%s protocol=%d " % (sys.argv[1], int(sys.argv[3]))
      in execd)
"""


@case(1)
def inheritance():
    r = run([VTCP, "run", "--", "python3", "-c", FORKER, FAM, PROBE,
             str(PROTO)], "a")
    tap.ok(r.stdout.split() == [str(PROTO), "True"],
           "a child by fork() and a program exec'd by sh inherit it",
           "%r %r" % (r.stdout, r.stderr))


@case(2)
def daemon():
    port, size = 7105, 1 << 20
    opens = Opens(tap)
    # sh leaves the server running in the background: vtcp run returns
    # at once, its supervisor serving the server from the background.
    # "At once" is judged against vtcp run of a program that leaves
    # nothing behind, as slow as a debug guest makes it.
    t0 = time.monotonic()
    run([VTCP, "run", "--", "true"], "b", capture=False)
    bound = 5 + 2 * (time.monotonic() - t0)
    t0 = time.monotonic()
    r = run([VTCP, "run", "--", "sh", "-c", "sleep 0.5; %s serve %s %d "
             ">/dev/null 2>&1 </dev/null &" % (PROBE, addr("b"), port)], "b",
            capture=False)
    secs = time.monotonic() - t0
    seen = listening("b", port)
    cl = run([VTCP, "run", "--", PROBE, "client", addr("b"), str(port),
              str(size)], "a")
    tap.ok(r.returncode == 0 and secs < bound and seen and
           cl.returncode == 0,
           "a daemon CMD leaves behind is served after vtcp run returned",
           "run %d in %.1f s (bound %.1f), ss %s, client %d %r" %
           (r.returncode, secs, bound, seen, cl.returncode, cl.stderr))
    opens.check("daemon")


@case(2)
def netns_move():
    port = 7106
    opens = Opens(tap)
    # vtcp run starts in the root namespace; the server moves to b.
    srv = start([VTCP, "run", "--", "ip", "netns", "exec", "b", "python3",
                 "-c", PY_SERVER, addr("b"), str(port), "1000"])
    seen = listening("b", port)
    cl = run([VTCP, "run", "--", "python3", "-c", PY_CLIENT, addr("b"),
              str(port), "1000"], "a")
    rc, out, err = wait_out(srv)
    tap.ok(seen and rc == 0 and cl.stdout.split() ==
           ["client", str(PROTO), "True"],
           "a program that entered another netns gets its sockets there",
           "ss %s; server %d %r %r; client %r %r" %
           (seen, rc, out, err, cl.stdout, cl.stderr))
    opens.check("ip netns exec")


# ---- 6. cost --------------------------------------------------------------

@case(1)
def cost():
    n = "100"	# calls a round; run_probe shows the best of 5 rounds
    plain = run([PROBE, "time", n, str(PROTO)], "a")
    under = run([VTCP, "run", "--", PROBE, "time", n, str(PROTO)], "a")
    p = dict(l.split() for l in plain.stdout.splitlines())
    u = dict(l.split() for l in under.stdout.splitlines())
    tap.msg("ns per call, plain / under vtcp run (TCG guest): " +
            ", ".join("%s %s / %s" % (k, p.get(k), u.get(k))
                      for k in ("socket_tcp", "socket_vtcp", "socket_udp",
                                "getppid")))
    tap.ok(plain.returncode == 0 and under.returncode == 0 and
           len(u) == 4, "run_probe time ran under vtcp run",
           under.stderr)


# The cases that need vtcp run to trap socket()
TRAPPING = [exit_status, probe_sockets, python_pair, probe_pair, http_server,
            socat, inheritance, daemon, netns_move, cost]


@case(sum(c.results for c in TRAPPING))
def seccomp_missing():
    """vtcp run cannot trap socket() in this kernel (no
    CONFIG_SECCOMP_FILTER): it says so, exits 2 and does not run CMD; the
    results of the cases that need it are skipped."""
    _, r = can_trap()
    tap.ok(r.returncode == 2 and "seccomp" in r.stderr and not r.cmd_ran,
           "no seccomp user notification: exit 2, says so, CMD not run",
           "status %d, stderr %r" % (r.returncode, r.stderr))
    tap.msg("this kernel cannot trap socket(): %s" % r.stderr.strip())
    for i in range(seccomp_missing.results - 1):
        tap.skip("case %d of vtcp run" % (tap.n + 1),
                 "no seccomp user notification in this kernel")


def main():
    two_hosts()
    there, _ = can_trap()
    tap.run([no_vtcp, no_seccomp] +
            (TRAPPING if there else [seccomp_missing]))


main()
