#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Two hosts, two kernels, a NIC between them.

Run by both guests of scripts/vm-pair at once: guest 1 (VM_ROLE=1) is
the client, guest 2 the server; each prints its own TAP. They meet at
barriers made of files in the shared VM_OUT, and pass each other what
one needs of the other (ports, sequence numbers, verdicts) the same way.
Each case checks the outcome on the host that sees it: bytes and their
order, errno, counters, states. Segments are dropped, where a case needs
it, on one host only (tc on its eth0)."""
import errno
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time

from vtcplib import (ACK, RST, SYN, Sniffer, Tap, inject, segment, sh,
                     stats, sysctls, vsock)
from vtcpnl import vtcp_info
from runlib import can_trap, nginx_conf, sha256_of

ROLE = int(os.environ.get("VM_ROLE", "0"))
DEV = os.environ.get("VM_NET_DEV", "eth0")
ME = os.environ.get("VM_NET_ADDR", "")
PEER = os.environ.get("VM_NET_PEER", "")
PEER6 = os.environ.get("VM_NET_PEER6", "")
OUT = os.environ.get("VM_OUT", "")
PAIR = os.environ.get("VM_PAIR_ID", "")
CLIENT, SERVER = 1, 2
SOL_VTCP, VTCP_INFO = 253, 11
TIMEOUT = 120
BIG = int(os.environ.get("VTCP_CROSSHOST_BYTES", str(64 << 20)))
BEHIND = "10.9.5.2"		# the server's inner host, behind its router
ROUTER_MTU = 1280
TOOLS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                     "tools", "vtcp", "vtcp")

CASES = []		# (function, checks as client, checks as server)


def case(n_client, n_server):
    def register(fn):
        CASES.append((fn, n_client, n_server))
        return fn
    return register


# ---- meeting the other guest ----------------------------------------------

def _path(name, role):
    return os.path.join(OUT, ".xh.%s.%s.%d" % (PAIR, name, role))


def put(name, value=None):
    """Tell the other guest @value under @name (JSON, atomically)."""
    tmp = _path(name, ROLE) + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f)
    os.rename(tmp, _path(name, ROLE))


def get(name, timeout=TIMEOUT, mine=False):
    """What the other guest put() under @name (this guest, with @mine, in
    an earlier incarnation); None if it never came."""
    path = _path(name, ROLE if mine else 3 - ROLE)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            time.sleep(0.05)
    return None


def barrier(name, timeout=TIMEOUT):
    put(name, True)
    return get(name, timeout) is not None


# ---- helpers ----------------------------------------------------------------

def info_of(s):
    return vtcp_info(s.getsockopt(SOL_VTCP, VTCP_INFO, 512))


def listen(port, addr="", family=socket.AF_INET):
    ls = vsock(family=family)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(128)
    ls.settimeout(TIMEOUT)
    return ls


def connect(addr, port, sock=None):
    c = sock or vsock(family=socket.AF_INET6 if ":" in addr else
                      socket.AF_INET)
    c.settimeout(TIMEOUT)
    c.connect((addr, port))
    return c


class Pattern:
    """A stream both hosts can compute: 64 KiB random blocks from @seed,
    block i rotated by i * 4099 bytes, so that a byte lost, repeated or
    moved anywhere shows."""

    BLOCK = 65536

    def __init__(self, seed):
        base = random.Random(seed).randbytes(self.BLOCK)
        self.twice = base + base

    def at(self, pos, n):
        out = []
        while n > 0:
            i, o = divmod(pos, self.BLOCK)
            r = i * 4099 % self.BLOCK
            piece = self.twice[r + o:r + self.BLOCK][:n]
            out.append(piece)
            pos += len(piece)
            n -= len(piece)
        return b"".join(out)


def send_stream(s, seed, nbytes, result):
    p, pos = Pattern(seed), 0
    try:
        while pos < nbytes:
            n = min(1 << 18, nbytes - pos)
            s.sendall(p.at(pos, n))
            pos += n
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        result["send_error"] = str(e)
    result["sent"] = pos


def receive_stream(s, seed, result):
    p, pos = Pattern(seed), 0
    try:
        while True:
            data = s.recv(1 << 18)
            if not data:
                break
            if data != p.at(pos, len(data)):
                result["error"] = "byte %d differs" % pos
                return
            pos += len(data)
    except OSError as e:
        result["error"] = str(e)
    result["received"] = pos


def both_ways(s, send_seed, recv_seed, nbytes):
    """Send @nbytes and receive the peer's at once: (ok, seconds, diag)."""
    out, inn = {}, {}
    t0 = time.monotonic()
    threads = [threading.Thread(target=send_stream,
                                args=(s, send_seed, nbytes, out)),
               threading.Thread(target=receive_stream,
                                args=(s, recv_seed, inn))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.monotonic() - t0
    ok = out.get("sent") == nbytes and inn.get("received") == nbytes and \
        "error" not in inn
    return ok, took, {"out": out, "in": inn}


def one_way(s, nbytes, seed, sending):
    """Send or receive @nbytes of the pattern: (ok, seconds, diag)."""
    r = {}
    t0 = time.monotonic()
    if sending:
        send_stream(s, seed, nbytes, r)
        ok = r.get("sent") == nbytes
        s.settimeout(TIMEOUT)
        try:
            s.recv(1)		# the receiver's close: all of it arrived
        except OSError:
            pass
    else:
        receive_stream(s, seed, r)
        ok = r.get("received") == nbytes and "error" not in r
    return ok, time.monotonic() - t0, r


def tc_drop(direction, match, pref=1):
    sh("tc qdisc add dev %s clsact 2>/dev/null; true" % DEV)
    sh("tc filter add dev %s %s pref %d protocol ip u32 %s action drop" %
       (DEV, direction, pref, match))


def tc_clear():
    sh("tc qdisc del dev %s clsact 2>/dev/null; true" % DEV)


def counters():
    return stats()


def ss_lines(*args):
    return subprocess.run([TOOLS, "ss"] + list(args), capture_output=True,
                          text=True).stdout.splitlines()


def states():
    out = "\n".join(ss_lines("-a", "-H"))
    n = {}
    for line in out.splitlines():
        if line.split():
            n[line.split()[0]] = n.get(line.split()[0], 0) + 1
    return n


def set_mtu(mtu):
    sh("ip link set dev %s mtu %d" % (DEV, mtu))
    sh("ip route flush cache")


# ---- the cases --------------------------------------------------------------

@case(1, 1)
def no_vtcp_at_the_peer():
    """The server's kernel without vtcp answers ICMP protocol unreachable."""
    if ROLE == SERVER:
        r = subprocess.run(["rmmod", "vtcp"], capture_output=True, text=True)
        barrier("unloaded")
        barrier("refused")
        r2 = subprocess.run(["modprobe", "vtcp"], capture_output=True,
                            text=True)
        tap.ok(r.returncode == 0 and r2.returncode == 0,
               "vtcp unloaded, the client refused, loaded again",
               r.stderr + r2.stderr)
        barrier("reloaded")
        return
    barrier("unloaded")
    t0 = time.monotonic()
    try:
        connect(PEER, 9000).close()
        err = 0
    except OSError as e:
        err = e.errno
    took = time.monotonic() - t0
    barrier("refused")
    barrier("reloaded")
    tap.ok(err == errno.ENOPROTOOPT and took < 1.0,
           "connect() to a host without vtcp: ENOPROTOOPT in %.3f s "
           "(ICMP protocol unreachable)" % took,
           "got %s" % errno.errorcode.get(err, err))


@case(1, 1)
def bulk_both_ways():
    """64 MiB each way at once, byte-exact."""
    if ROLE == SERVER:
        ls = listen(8001)
        barrier("bulk")
        s, _ = ls.accept()
        ls.close()
    else:
        barrier("bulk")
        s = connect(PEER, 8001)
    ok, took, diag = both_ways(s, 100 + ROLE, 100 + 3 - ROLE, BIG)
    s.close()
    tap.ok(ok, "%d MiB each way at once, byte-exact, in %.1f s "
           "(%.1f MB/s each way)" % (BIG >> 20, took, BIG / took / 1e6), diag)


@case(2, 2)
def ipv6_between_kernels():
    """Over IPv6 (fd09::/64): 16 MiB each way at once; then the same [::]
    listener takes the peer's IPv4 connection, v4-mapped."""
    n = min(BIG, 16 << 20)
    if ROLE == SERVER:
        ls = listen(8021, "::", socket.AF_INET6)
        barrier("ipv6")
        s, peer = ls.accept()
    else:
        barrier("ipv6")
        s = connect(PEER6, 8021)
        peer = s.getpeername()
    ok, took, diag = both_ways(s, 300 + ROLE, 300 + 3 - ROLE, n)
    s.close()
    tap.ok(ok and peer[0] == PEER6,
           "IPv6: %d MiB each way at once between the kernels, byte-exact, "
           "in %.1f s" % (n >> 20, took), (peer, diag))
    if ROLE == SERVER:
        s, peer = ls.accept()
        s.sendall(b"mapped")
        s.close()
        ls.close()
        tap.ok(peer[0] == "::ffff:" + PEER,
               "IPv6: the [::] listener takes the peer's IPv4 connection as "
               "::ffff:%s" % PEER, peer)
    else:
        c = connect(PEER, 8021)
        got = c.recv(16)
        c.close()
        tap.ok(got == b"mapped", "IPv6: an IPv4 connection to the peer's "
               "[::] listener carries data", got)


def opens_here():
    """This guest's vtcp opens and TCP's (/proc/net/snmp), active and
    passive together."""
    with open("/proc/net/snmp") as f:
        rows = [l.split() for l in f if l.startswith("Tcp:")]
    tcp = dict(zip(rows[0], rows[1]))
    vt = stats()
    return (vt["ActiveOpens"] + vt["PassiveOpens"],
            int(tcp["ActiveOpens"]) + int(tcp["PassiveOpens"]))


def nginx_server(n):
    """The server's half of nginx_across(): True if it served over vtcp."""
    d = tempfile.mkdtemp()
    os.mkdir(os.path.join(d, "www"))
    with open(os.path.join(d, "www", "big"), "wb") as f:
        for _ in range(n >> 20):
            f.write(os.urandom(1 << 20))
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(d, "%s:8031" % ME))
    before = opens_here()
    srv = subprocess.Popen([TOOLS, "run", "--", "nginx", "-c", conf],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
    end = time.monotonic() + 30
    while not any(":8031 " in l + " " for l in ss_lines("-l", "-H")) and \
            time.monotonic() < end:
        time.sleep(0.1)
    put("nginx", sha256_of(os.path.join(d, "www", "big")))
    get("nginx-done")
    srv.terminate()
    err = srv.communicate(timeout=20)[1]
    after = opens_here()
    shutil.rmtree(d)
    moved = (after[0] - before[0], after[1] - before[1])
    tap.ok(moved[0] >= 1 and moved[1] == 0, "nginx under vtcp run served "
           "the other kernel's curl over vtcp: vtcp opens +%d, TCP's +%d" %
           moved, err.strip()[-300:])


@case(1, 1)
def nginx_across():
    """nginx on the server, curl on the client, both under vtcp run: 16
    MiB across the link, intact, and the server's vtcp opens moved while
    TCP's did not. Skipped where nginx, curl or vtcp run is missing."""
    n = min(BIG, 16 << 20)
    missing = [p for p in ("nginx", "curl") if not shutil.which(p)]
    if missing or not can_trap()[0]:
        tap.skip("nginx and curl across the link", "no %s" %
                 (", ".join(missing) or "seccomp user notification"))
        return
    if ROLE == SERVER:
        nginx_server(n)
        return
    want = get("nginx")
    out = tempfile.mktemp()
    t0 = time.monotonic()
    r = subprocess.run([TOOLS, "run", "--", "curl", "-sS", "-o", out,
                        "http://%s:8031/big" % PEER], capture_output=True,
                       text=True, timeout=TIMEOUT)
    took = time.monotonic() - t0
    got = sha256_of(out) if os.path.exists(out) else None
    put("nginx-done", True)
    if got:
        os.unlink(out)
    tap.ok(r.returncode == 0 and got == want, "curl under vtcp run fetched "
           "%d MiB from nginx on the other kernel, intact, in %.1f s" %
           (n >> 20, took), "status %d %r" % (r.returncode, r.stderr))


def tcp_socket():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM)


@case(1, 1)
def short_connections():
    """1000 sequential short connections, each an echo of 64 bytes; Linux
    TCP's time for the same, for scale."""
    vtcp_ms = echoes(8002, 1000, vsock, "vtcp")
    tcp_ms = echoes(8012, 100, tcp_socket, "TCP")
    if ROLE == CLIENT:
        tap.msg("short connections: vtcp %.1f ms each, Linux TCP %.1f ms "
                "each" % (vtcp_ms, tcp_ms))


def echoes(port, n, new_socket, name):
    """@n sequential connections, each an echo of 64 bytes; ms each."""
    if ROLE == SERVER:
        ls = new_socket()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("", port))
        ls.listen(128)
        ls.settimeout(TIMEOUT)
        barrier("short-" + name)
        served = 0
        try:
            for _ in range(n):
                s, _ = ls.accept()
                s.settimeout(TIMEOUT)
                data = s.recv(64)
                s.sendall(data)
                s.close()
                served += 1
        except OSError as e:
            tap.msg("server: %s" % e)
        ls.close()
        if name == "vtcp":
            tap.eq(served, n, "%d short connections served" % n)
        return 0
    barrier("short-" + name)
    good = 0
    t0 = time.monotonic()
    each = []
    try:
        for i in range(n):
            t1 = time.monotonic()
            c = connect(PEER, port, new_socket())
            msg = struct.pack("!Q", i) * 8
            c.sendall(msg)
            got = b""
            c.settimeout(5)
            while len(got) < 64:
                try:
                    chunk = c.recv(64 - len(got))
                except socket.timeout:
                    tap.msg("connection %d: no echo in 5 s; its socket:" % i)
                    for line in ss_lines("-t", "-i", "-o", "-e",
                                         "sport", "=", str(c.getsockname()[1])):
                        tap.msg("  " + line)
                    c.settimeout(TIMEOUT)
                    continue
                if not chunk:
                    break
                got += chunk
            c.close()
            good += got == msg
            each.append(time.monotonic() - t1)
    except OSError as e:
        tap.msg("client: %s" % e)
    took = time.monotonic() - t0
    each.sort()
    if each:
        tap.msg("%s: p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d over 0.5 s" %
                (name, each[len(each) // 2] * 1000,
                 each[len(each) * 99 // 100] * 1000, each[-1] * 1000,
                 sum(t > 0.5 for t in each)))
    if name == "vtcp":
        slow = sum(t > 3 for t in each)
        tap.ok(good == n and not slow,
               "%d sequential short connections echoed, %.1f ms each, "
               "none over 3 s" % (n, took * 1000 / n),
               "%d echoed, %d over 3 s" % (good, slow))
    return took * 1000 / n


@case(1, 1)
def concurrent_streams():
    """64 connections at once, 1 MiB each from the client, byte-exact."""
    n, size = 64, 1 << 20
    if ROLE == SERVER:
        ls = listen(8003)
        barrier("concurrent")
        results = []
        threads = []
        for _ in range(n):
            s, _ = ls.accept()
            s.settimeout(TIMEOUT)
            seed = struct.unpack("!I", s.recv(4, socket.MSG_WAITALL))[0]
            r = {}
            results.append(r)
            t = threading.Thread(target=lambda s=s, seed=seed, r=r: (
                receive_stream(s, seed, r), s.close()))
            t.start()
            threads.append(t)
        for t in threads:
            t.join()
        ls.close()
        good = sum(r.get("received") == size and "error" not in r
                   for r in results)
        put("concurrent-received", good)
        tap.eq(good, n, "%d concurrent streams of 1 MiB received "
               "byte-exact" % n)
        return
    barrier("concurrent")
    socks = [connect(PEER, 8003) for _ in range(n)]
    t0 = time.monotonic()
    outs = [{} for _ in socks]
    threads = []
    for i, s in enumerate(socks):
        s.sendall(struct.pack("!I", 1000 + i))
        t = threading.Thread(target=send_stream, args=(s, 1000 + i, size,
                                                       outs[i]))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    good = get("concurrent-received")
    took = time.monotonic() - t0
    for s in socks:
        s.close()
    tap.ok(good == n and all(o.get("sent") == size for o in outs),
           "%d concurrent streams sent, the server got all (%.1f s)" %
           (n, took), "server counted %r" % good)


@case(2, 2)
def stale_syn():
    """A stale SYN from the client's host: SYN-ACK, the client's kernel
    answers RST, nothing is accepted."""
    port = 8101
    if ROLE == SERVER:
        before = counters()
        ls = listen(port)
        ls.setblocking(False)
        barrier("stale-listen")
        barrier("stale-done")
        time.sleep(1.0)
        try:
            ls.accept()
            accepted = True
        except BlockingIOError:
            accepted = False
        after = counters()
        ls.close()
        tap.ok(not accepted, "stale SYN: accept() never returns it")
        tap.ok(after["PassiveOpens"] - before["PassiveOpens"] == 1 and
               after["InRsts"] - before["InRsts"] >= 1,
               "stale SYN: a passive open, reset by the client's kernel",
               {k: after[k] - before[k] for k in ("PassiveOpens", "InRsts")})
        return
    barrier("stale-listen")
    sn = Sniffer(DEV)
    inject(ME, PEER, segment(ME, PEER, 40000, port, 1000, flags=SYN))
    synack = sn.wait(lambda s: s.src == PEER and s.is_(SYN | ACK))
    rst = sn.wait(lambda s: s.src == ME and s.has(RST))
    barrier("stale-done")
    sn.close()
    tap.ok(synack and synack[0].ack == 1001,
           "stale SYN: the server's kernel answers SYN-ACK", sn.all())
    tap.ok(bool(synack and rst and rst[0].seq == synack[0].ack),
           "stale SYN: the client's kernel answers RST <SEQ=SEG.ACK>",
           sn.all())


@case(1, 2)
def bad_synack():
    """In SYN-SENT, a SYN-ACK with a wrong ACK gets RST; connect goes on.
    The server drops the client's segments meanwhile."""
    port = 8102
    if ROLE == SERVER:
        ls = listen(port)
        tc_drop("ingress", "match ip protocol 253 0xff")
        sn = Sniffer(DEV)
        barrier("bad-synack-ready")
        syn = sn.wait(lambda s: s.src == PEER and s.is_(SYN), timeout=10)
        bogus = syn[0].seq + 1000 if syn else 1
        if syn:
            inject(ME, PEER, segment(ME, PEER, port, syn[0].sport, 555,
                                     bogus, flags=SYN | ACK))
        rst = sn.wait(lambda s: s.src == PEER and s.has(RST))
        tap.ok(bool(rst) and rst[0].seq == bogus and not rst[0].has(ACK),
               "bad SYN-ACK: the client answers <SEQ=SEG.ACK><CTL=RST>",
               sn.all())
        tc_clear()
        try:
            s, _ = ls.accept()
            s.close()
            accepted = True
        except OSError:
            accepted = False
        tap.ok(accepted, "bad SYN-ACK: the retransmitted SYN is accepted")
        sn.close()
        ls.close()
        barrier("bad-synack-done")
        return
    barrier("bad-synack-ready")
    try:
        c = connect(PEER, port)
        peer = c.getpeername()
        c.close()
    except OSError as e:
        peer = e
    barrier("bad-synack-done")
    tap.eq(peer, (PEER, port), "bad SYN-ACK: the connect completes")


@case(1, 1)
def lost_last_ack():
    """The client's last ACK is lost (its own egress drops pure ACKs): the
    server's FIN comes again and TIME-WAIT restarts; once ACKs pass, the
    server's side closes."""
    port = 8103
    if ROLE == SERVER:
        before = counters()
        ls = listen(port)
        barrier("lastack-listen")
        s, _ = ls.accept()
        ls.close()
        s.settimeout(TIMEOUT)
        s.recv(10)			# the client's FIN
        s.close()
        barrier("lastack-unblocked", 60)
        end = time.monotonic() + 30
        while time.monotonic() < end and states().get("LAST-ACK"):
            time.sleep(0.2)
        after = counters()
        tap.ok(after["FinRetrans"] - before["FinRetrans"] >= 1 and
               not states().get("LAST-ACK"),
               "lost last ACK: the server resent its FIN (%d), then closed" %
               (after["FinRetrans"] - before["FinRetrans"]))
        return
    barrier("lastack-listen")
    c = connect(PEER, port)
    before = counters()
    tc_drop("egress", "match ip protocol 253 0xff match u8 0x10 0xff at 33")
    c.close()
    end = time.monotonic() + 30
    while time.monotonic() < end and \
            counters()["TimeWaitRestarted"] == before["TimeWaitRestarted"]:
        time.sleep(0.1)
    after = counters()
    tc_clear()
    barrier("lastack-unblocked", 60)
    tap.ok(after["TimeWaitRestarted"] > before["TimeWaitRestarted"],
           "lost last ACK: the FIN came again and TIME-WAIT restarted")


@case(2, 1)
def timewait_holds_the_tuple():
    """TIME-WAIT keeps the 4-tuple until 2MSL is over."""
    port, cport = 8104, 41000
    if ROLE == SERVER:
        ls = listen(port)
        barrier("tw-listen")
        got = 0
        for _ in range(2):
            try:
                s, _ = ls.accept()
                s.recv(1)
                s.close()
                got += 1
            except OSError:
                break
        ls.close()
        tap.eq(got, 2, "TIME-WAIT: the server took both incarnations")
        return
    with sysctls(msl_ms=1500):
        barrier("tw-listen")
        c = vsock()
        c.bind((ME, cport))
        connect(PEER, port, c)
        c.close()			# the client closes first: TIME-WAIT here
        time.sleep(0.2)

        def again():
            s = vsock()
            try:
                s.bind((ME, cport))
                connect(PEER, port, s)
            finally:
                s.close()
        tap.errno(again, errno.EADDRINUSE,
                  "TIME-WAIT: the same 4-tuple is refused (EADDRINUSE)")
        time.sleep(3.5)
        try:
            again()
            ok = True
        except OSError as e:
            ok = e
    tap.ok(ok is True, "TIME-WAIT: after 2MSL the 4-tuple connects again", ok)


def tcp_rewrite(on):
    """The server's Linux TCP speaks protocol 253 on eth0 (../shared)."""
    if not on:
        tc_clear()
        return
    sh("ip link set dev %s gso_max_segs 1" % DEV)
    sh("tc qdisc add dev %s clsact" % DEV)
    sh("tc filter add dev %s egress protocol ip u32 match ip protocol 6 0xff "
       "action csum tcp pipe action pedit ex munge ip protocol set 253 pipe "
       "action csum ip4h" % DEV)
    sh("tc filter add dev %s ingress protocol ip u32 match ip protocol 253 "
       "0xff action pedit ex munge ip protocol set 6 pipe action csum ip4h "
       "tcp" % DEV)


@case(1, 1)
def linux_tcp_peer():
    """vtcp client, Linux TCP server: 8 MiB each way at once."""
    size = 8 << 20
    if ROLE == SERVER:
        tcp_rewrite(True)
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind(("", 8201))
        ls.listen(1)
        ls.settimeout(TIMEOUT)
        barrier("tcp-listen")
        try:
            s, _ = ls.accept()
            s.settimeout(TIMEOUT)
            ok, took, diag = both_ways(s, 301, 302, size)
            s.close()
        except OSError as e:
            ok, took, diag = False, 0, e
        ls.close()
        barrier("tcp-done")
        tcp_rewrite(False)
        tap.ok(ok, "Linux TCP server: 8 MiB each way with a vtcp client "
               "(%.1f s)" % took, diag)
        return
    with sysctls(accept_tcp_csum=1):
        barrier("tcp-listen")
        try:
            s = connect(PEER, 8201)
            ok, took, diag = both_ways(s, 302, 301, size)
            s.close()
        except OSError as e:
            ok, took, diag = False, 0, e
        barrier("tcp-done")
    tap.ok(ok, "vtcp client: 8 MiB each way with a Linux TCP server "
           "(%.1f s)" % took, diag)


def transfer_at_mtu(mtu, port):
    """Both ends at @mtu: 16 MiB each way at once; the client checks MSS."""
    size = 16 << 20
    set_mtu(mtu)
    if ROLE == SERVER:
        ls = listen(port)
        barrier("mtu%d" % mtu)
        s, _ = ls.accept()
        ls.close()
    else:
        barrier("mtu%d" % mtu)
        s = connect(PEER, port)
    mss = info_of(s)["snd_mss"]
    ok, took, diag = both_ways(s, 400 + ROLE, 403 - ROLE, size)
    s.close()
    barrier("mtu%d-done" % mtu)
    set_mtu(1500)
    want = mtu - 40 - 12
    tap.ok(ok and mss == want,
           "MTU %d on both ends: 16 MiB each way in %.1f s, MSS %d" %
           (mtu, took, mss), "want MSS %d; %r" % (want, diag))


@case(2, 2)
def mtus():
    transfer_at_mtu(9000, 8301)
    transfer_at_mtu(1280, 8302)


def router_behind_server(on):
    """The server guest routes to an inner host b (BEHIND) over a veth
    whose router side has MTU 1280 and host side 1500."""
    if on:
        sh("ip netns add b && ip -n b link set lo up")
        sh("ip link add rb type veth peer name vb netns b")
        sh("ip addr add 10.9.5.1/24 dev rb && ip link set rb mtu %d up" %
           ROUTER_MTU)
        sh("ip -n b addr add %s/24 dev vb && ip -n b link set vb up" % BEHIND)
        sh("ip -n b route add default via 10.9.5.1")
        sh("sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0")
        sh("ip netns exec b ethtool -K vb tso off gso off gro off "
           "tx-sctp-segmentation off >/dev/null 2>&1; true")
    else:
        sh("ip netns del b 2>/dev/null; ip link del rb 2>/dev/null; true")


def receive_behind(port, nbytes, seed):
    """In b: accept one connection, check @nbytes of the pattern."""
    code = ("import sys, socket; sys.path.insert(0, %r);"
            "import crosshost as x;"
            "ls = x.listen(%d); open(%r, 'w').close();"
            "s, _ = ls.accept(); r = {};"
            "x.receive_stream(s, %d, r); s.close();"
            "sys.exit(0 if r.get('received') == %d and 'error' not in r "
            "else 1)" % (os.path.dirname(os.path.abspath(__file__)), port,
                         "/tmp/behind.%d" % port, seed, nbytes))
    if os.path.exists("/tmp/behind.%d" % port):
        os.unlink("/tmp/behind.%d" % port)
    p = subprocess.Popen(["ip", "netns", "exec", "b", "python3", "-c", code])
    end = time.monotonic() + 20
    while not os.path.exists("/tmp/behind.%d" % port) and \
            time.monotonic() < end:
        time.sleep(0.05)
    return p


@case(3, 2)
def router_with_smaller_mtu():
    """16 MiB to a host behind a router whose far link has MTU 1280: by
    ICMP (PMTU discovery), then with the router's ICMP dropped and
    mtu_probing=1."""
    size = 16 << 20
    if ROLE == SERVER:
        router_behind_server(True)
        for name, port, block in (("pmtu", 8401, False),
                                  ("blackhole", 8402, True)):
            if block:
                tc_drop("egress", "match ip protocol 1 0xff")
            p = receive_behind(port, size, 500 + port)
            barrier(name + "-listen")
            rc = p.wait(TIMEOUT)
            tc_clear()
            put(name, rc == 0)
            tap.ok(rc == 0, "%s: 16 MiB arrived byte-exact behind the "
                   "router" % name)
        router_behind_server(False)
        return
    sh("ip route add 10.9.5.0/24 via %s" % PEER)
    for name, port, probing in (("pmtu", 8401, 0), ("blackhole", 8402, 1)):
        sh("ip route flush cache")
        with sysctls(mtu_probing=probing):
            barrier(name + "-listen")
            before = counters()
            try:
                s = connect(BEHIND, port)
                t0 = time.monotonic()
                r = {}
                send_stream(s, 500 + port, size, r)
                info = info_of(s)
                s.close()
                took = time.monotonic() - t0
            except OSError as e:
                info, took = {"pmtu": 0, "snd_mss": 0}, 0
                r = {"error": str(e)}
            after = counters()
        arrived = get(name)
        if name == "pmtu":
            tap.ok(arrived and r.get("sent") == size,
                   "PMTU discovery: 16 MiB through the 1280-byte hop "
                   "in %.1f s" % took, r)
            tap.ok(info["pmtu"] == ROUTER_MTU and
                   after["IcmpFragNeeded"] > before["IcmpFragNeeded"],
                   "PMTU discovery: the path MTU is 1280 (MSS %d)" %
                   info["snd_mss"], info)
        else:
            tap.ok(arrived and r.get("sent") == size and
                   after["MtuBlackHole"] > before["MtuBlackHole"],
                   "ICMP dropped, mtu_probing=1: 16 MiB in %.1f s, the "
                   "black hole found, MSS %d" % (took, info["snd_mss"]),
                   {"r": r, "MtuBlackHole": after["MtuBlackHole"]})
    sh("ip route del 10.9.5.0/24")


def offloads_offered():
    out = subprocess.run(["ethtool", "-k", DEV], capture_output=True,
                         text=True).stdout
    return "tcp-segmentation-offload: on" in out or \
        "tx-checksumming: on" in out


@case(2, 2)
def offloads():
    """Checksum and segmentation offloads on, then off, where the NIC
    offers them (vm-pair --link-backend tap)."""
    offered = offloads_offered()
    peer_offered = put("offload", offered) or get("offload")
    for word, port in (("on", 8501), ("off", 8502)):
        if not (offered and peer_offered):
            tap.skip("offloads %s: 16 MiB byte-exact" % word,
                     "the link offers none (socket backend)")
            continue
        sh("ethtool -K %s tx %s tso %s gso %s >/dev/null 2>&1; true" %
           (DEV, word, word, word))
        if ROLE == SERVER:
            ls = listen(port)
            barrier("offload-" + word)
            s, _ = ls.accept()
            ls.close()
        else:
            barrier("offload-" + word)
            s = connect(PEER, port)
        ok, took, diag = both_ways(s, 600 + ROLE, 603 - ROLE, 16 << 20)
        s.close()
        tap.ok(ok, "offloads %s: 16 MiB each way in %.1f s" % (word, took),
               diag)
    sh("ethtool -K %s tx on tso on gso on >/dev/null 2>&1; true" % DEV)


INCARNATION = int(os.environ.get("VM_INCARNATION", "1"))
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


@case(1, 0)
def peer_dies():
    """The server's host crashes while a connection is established (its
    qemu is killed: nothing is sent) and boots again: the client's next
    send meets the new incarnation's RST, and the application sees what
    it sees with TCP, whose connection goes through the same."""
    if ROLE == SERVER:
        ls = listen(8601)
        tls = tcp_socket()
        tls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tls.bind(("", 8602))
        tls.listen(1)
        tls.settimeout(TIMEOUT)
        barrier("dies-listen")
        conns = [ls.accept()[0], tls.accept()[0]]
        for s in conns:
            s.sendall(b"hello")
        barrier("dies-established")
        put("server-fails", tap.fails)
        subprocess.run([os.path.join(REPO, "scripts", "vm-crash")])
        tap.ok(False, "the server's host crashed (scripts/vm-crash)")
        return
    barrier("dies-listen")
    socks = [connect(PEER, 8601), connect(PEER, 8602, tcp_socket())]
    for s in socks:
        s.recv(5, socket.MSG_WAITALL)
    barrier("dies-established")
    reborn = get("reborn", 180)
    errs = []
    for s in socks:
        s.settimeout(30)
        try:
            s.sendall(b"anyone there?")
            s.recv(10)
            errs.append(0)
        except OSError as e:
            errs.append(e.errno)
        s.close()
    put("dies-verdict", errs)
    tap.ok(reborn and errs[0] == errs[1] == errno.ECONNRESET,
           "the server's host crashed and came back: the next send meets "
           "its RST, ECONNRESET for vtcp as for TCP",
           "reborn %r, vtcp %r, TCP %r" %
           (reborn, *(errno.errorcode.get(e, e) for e in errs)))


def reborn_server():
    """The server's second incarnation (after peer_dies's crash): what the
    first one's checks said, then the client's verdict."""
    tap = Tap(1)
    put("reborn", True)
    before = get("server-fails", 10, mine=True)
    get("dies-verdict", 120)
    tap.ok(before == 0, "the server's first incarnation passed all its "
           "checks before it crashed", "its failures: %r" % before)
    tap.finish()


def main():
    global tap, CASES
    if ROLE not in (CLIENT, SERVER) or not OUT or not PEER:
        print("TAP version 13\n1..0 # SKIP not a guest of scripts/vm-pair")
        raise SystemExit(4)
    if ROLE == SERVER and INCARNATION > 1:
        reborn_server()
    only = os.environ.get("VTCP_CROSSHOST_CASES", "").split()
    CASES = [c for c in CASES if not only or c[0].__name__ in only]
    tap = Tap(sum(c[1] if ROLE == CLIENT else c[2] for c in CASES))
    tap.msg("guest %d (%s), %s <-> %s, peer's kernel %s" %
            (ROLE, "client" if ROLE == CLIENT else "server", ME, PEER,
             os.environ.get("VM_PEER_RELEASE", "?")))
    for fn, _, _ in CASES:
        if not barrier("case-" + fn.__name__):
            tap.msg("the other guest did not reach %s" % fn.__name__)
        t0 = time.monotonic()
        fn()
        tap.msg("%s: %.1f s" % (fn.__name__, time.monotonic() - t0))
    tap.finish()


if __name__ == "__main__":
    main()
