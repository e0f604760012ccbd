#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""vtcp's timers and settings, between host a (10.0.0.1) and host b
(10.0.0.2), or fd00::1 and fd00::2 with VTCP_FAMILY=6: retransmission
with exponential backoff and its limits (SYN, SYN-ACK, FIN), TIME-WAIT's
2*msl_ms, the sysctls (defaults, bounds, per namespace but max_orphans,
the host's), and what namespace deletion and rmmod leave behind.
Times are taken from the segments a sniffer saw; bounds are generous for a
loaded TCG guest."""
import contextlib
import errno
import os
import select
import socket
import subprocess
import time

from vtcplib import (ACK, FIN, RST, SYN, Sniffer, Tap, as_container_root,
                     case, connected_pair, inject, ns, segment,
                     sh, stats, sysctl, sysctls, two_hosts, vsock)
from vtcplib import listener, seq_add, stat, wait_stat
from vtcplib import addr, net_addr, u32_match

A, B = addr("a"), addr("b")	# in the run's family (VTCP_FAMILY)
GHOST = net_addr(3)	# a spoofed peer: its segments reach a0, nobody answers
GHOST2 = net_addr(9)

# name: (default, lowest, highest), as mod/sysctl.c and vtcp.rst say.
SYSCTLS = {
    "syn_retries":	(6, 1, 127),
    "synack_retries":	(5, 1, 127),
    "fin_retries":	(8, 1, 127),
    "data_retries":	(15, 1, 127),
    "msl_ms":		(30000, 1, 3600000),
    "rto_initial_ms":	(1000, 1, 3600000),
    "rto_min_ms":	(200, 1, 3600000),
    "rto_max_ms":	(120000, 1, 3600000),
    "fin_timeout_ms":	(60000, 1, 3600000),
    "delack_ms":	(40, 1, 500),
    "accept_tcp_csum":	(0, 0, 1),
    "timestamps":	(1, 0, 1),
    "sack":		(1, 0, 1),
    "window_scaling":	(1, 0, 1),
    "rmem_max":		(6 << 20, 4096, 1 << 30),
    "mem_max_kb":	(0, 0, 2 ** 31 - 1),
    "max_orphans":	(65536, 0, 2 ** 31 - 1),
    "challenge_ack_limit": (2 ** 31 - 1, 1, 2 ** 31 - 1),
    "invalid_ratelimit_ms": (500, 0, 3600000),
    "rack":		(1, 0, 1),
    "mtu_probing":	(0, 0, 2),
    "syncookies":	(1, 0, 2),
}
# Limits of a count over all namespaces: written in the initial one only.
HOST_WIDE = ("max_orphans",)
# name: (default, another valid value); unknown names are EINVAL.
STRING_SYSCTLS = {"congestion_control": ("cubic", "newreno")}

tap = Tap(family=True)
two_hosts()
for _h in ("a", "b"):
    with ns(_h):
        sysctl("msl_ms", 500)


def refcnt():
    try:
        with open("/sys/module/vtcp/refcnt") as f:
            return int(f.read())
    except OSError:
        return None


def wait_refcnt(want, timeout):
    """Poll the module refcount until it is @want: (value, seconds)."""
    t0 = time.monotonic()
    while True:
        v = refcnt()
        if v == want or time.monotonic() - t0 > timeout:
            return v, time.monotonic() - t0
        time.sleep(0.05)


def settle(timeout=5.0):
    """The module refcount once it has not moved for 0.5 s (a closed
    listener is freed after an RCU grace period)."""
    end = time.monotonic() + timeout
    last, since = refcnt(), time.monotonic()
    while time.monotonic() < end:
        time.sleep(0.05)
        v = refcnt()
        if v != last:
            last, since = v, time.monotonic()
        elif time.monotonic() - since >= 0.5:
            break
    return last


def mac(host, dev):
    return subprocess.check_output(
        ["ip", "netns", "exec", host, "cat",
         "/sys/class/net/%s/address" % dev]).decode().strip()


def drop(host, dev, flags=None):
    """Our segments of the run's family (only those whose flags are exactly
    @flags, if given) are dropped as they reach @dev."""
    sh("ip netns exec %s tc qdisc add dev %s clsact 2>/dev/null; true" %
       (host, dev))
    sh("ip netns exec %s tc filter add dev %s ingress pref 1 %s action drop" %
       (host, dev, u32_match(flags)))


def undrop(host, dev):
    sh("ip netns exec %s tc filter del dev %s ingress pref 1" % (host, dev))


class Undrop:
    """undrop(), prepared in advance: a shell already in the namespace
    waits for a line on its stdin, then execs tc at once."""

    def __init__(self, host, dev):
        self.p = subprocess.Popen(
            ["ip", "netns", "exec", host, "sh", "-c",
             "read x; exec tc filter del dev %s ingress pref 1" % dev],
            stdin=subprocess.PIPE)

    def fire(self):
        self.p.stdin.write(b"go\n")
        self.p.stdin.close()
        return self.p.wait() == 0


def close_all(*socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def gaps(segs):
    return [round(y.t - x.t, 3) for x, y in zip(segs, segs[1:])]


def backoff_ok(segs, first, n):
    """@n segments, each gap twice the one before, starting at @first s,
    each within [0.8x, 1.5x + 0.1 s] of what is expected."""
    if len(segs) != n:
        return False
    want = [first * 2 ** i for i in range(n - 1)]
    return all(0.8 * w <= g <= 1.5 * w + 0.1 for g, w in zip(gaps(segs), want))


# ---------------------------------------------------------------- cases


@case(3)
def lossy_handshake():
    port = 7201
    with ns("a"):
        sysctl("rto_initial_ms", 200)
        rtx0 = stats()["RetransSegs"]
    ls = listener(port)
    drop("b", "b0", SYN)			# pure SYNs only
    later = Undrop("b", "b0")
    with ns("a"):
        sn = Sniffer("a0")
        c = vsock()
        c.setblocking(False)
        t0 = time.monotonic()
        rc = c.connect_ex((B, port))
    mine = lambda x: port in (x.sport, x.dport)
    is_syn = lambda x: mine(x) and x.src == A and x.is_(SYN)
    # The first two SYNs have been dropped: the third must get through.
    two = sn.wait(is_syn, count=2, timeout=5)
    fired = later.fire()
    writable = select.select([], [c], [], 10)[1]
    err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    secs = time.monotonic() - t0
    try:
        s, _ = ls.accept()
        s.close()
        accepted = True
    except OSError:
        accepted = False
    synack = sn.wait(lambda x: mine(x) and x.src == B and x.is_(SYN | ACK))
    syns = sn.all(is_syn)
    tap.ok(rc == errno.EINPROGRESS and len(two) == 2 and fired and
           bool(writable) and err == 0 and accepted,
           "lossy handshake: connect() succeeds after the first 2 SYNs were "
           "dropped at b0 (%.2f s)" % secs,
           "connect_ex %s, SO_ERROR %s, accepted %s\n%s" %
           (rc, err, accepted, str(sn)))
    # The filter goes once 2 SYNs were seen, 0.4 s before the third is
    # due; should tc be slower than that, a 4th comes at +0.8 s.
    tap.ok(len(syns) >= 3 and backoff_ok(syns, 0.2, len(syns)),
           "lossy handshake: the SYNs are sent at 0, +0.2, +0.4 s "
           "(rto_initial_ms=200, doubled; %d SYNs, gaps %s)" %
           (len(syns), gaps(syns)), str(sn))
    rtx = stat("a", "RetransSegs") - rtx0
    tap.ok(len(syns) >= 3 and len({x.seq for x in syns}) == 1 and
           bool(synack) and synack[0].ack == seq_add(syns[0].seq, 1) and
           rtx == len(syns) - 1,
           "lossy handshake: the retransmitted SYNs carry the same ISS, the "
           "SYN-ACK acks it, RetransSegs counts them (+%d)" % rtx, str(sn))
    close_all(c, ls)
    sn.close()


@case(3)
@sysctls("a", syn_retries=2)
def syn_retries():
    port = 7202
    with ns("a"):
        sysctl("rto_initial_ms", 200)
        to0 = stats()["Timeouts"]
    ls = listener(port)
    drop("b", "b0")			# b never hears from a
    with ns("a"):
        sn = Sniffer("a0")
        c = vsock()
        c.settimeout(10)
        t0 = time.monotonic()
        try:
            c.connect((B, port))
            err = 0
        except OSError as e:
            err = e.errno if e.errno is not None else type(e).__name__
        secs = time.monotonic() - t0
    time.sleep(0.8)			# a 4th SYN would be due by now
    syns = sn.all(lambda x: port in (x.sport, x.dport) and x.src == A and
                  x.is_(SYN))
    tap.eq(err, errno.ETIMEDOUT,
           "syn_retries=2, nothing answers: connect() fails with ETIMEDOUT")
    tap.ok(1.2 <= secs <= 2.5,
           "syn_retries=2: connect() gives up after 0.2+0.4+0.8 = 1.4 s "
           "(took %.2f s, bounds 1.2-2.5)" % secs)
    tap.ok(backoff_ok(syns, 0.2, 3) and stat("a", "Timeouts") == to0 + 1,
           "syn_retries=2: exactly 3 SYNs (1 + 2 retries) at 0, +0.2, +0.4 s, "
           "then Timeouts +1 (gaps %s)" % gaps(syns), str(sn))
    undrop("b", "b0")
    close_all(c, ls)
    sn.close()


@case(3)
@sysctls("b", synack_retries=2, rto_initial_ms=200)
def synack_retries():
    port = 7301
    with ns("b"):
        st0 = stats()
    # b's SYN-ACKs for GHOST reach a0 (where the sniffer sees them) and die
    # there: a does not forward and answers nothing.
    sh("ip -n b neigh replace %s lladdr %s dev b0 nud permanent" %
       (GHOST, mac("a", "a0")))
    ls = listener(port)
    ls.setblocking(False)
    is_sa = lambda x: x.dst == GHOST and x.is_(SYN | ACK) and x.sport == port
    with ns("a"):
        sn = Sniffer("a0")
        inject(GHOST, B, segment(GHOST, B, 40003, port, 5000, flags=SYN))
    sas = sn.wait(is_sa, count=3, timeout=6)
    to = wait_stat("b", "Timeouts", st0["Timeouts"], timeout=6)
    time.sleep(1.0)			# a 4th SYN-ACK would be due by now
    sas = sn.all(is_sa)
    tap.ok(backoff_ok(sas, 0.2, 3) and all(x.ack == 5001 for x in sas) and
           len({x.seq for x in sas}) == 1,
           "synack_retries=2, the ACK never comes: the SYN-ACK is sent 3 "
           "times, at 0, +0.2, +0.4 s (gaps %s)" % gaps(sas), str(sn))
    with ns("b"):
        st1 = stats()
    try:
        ls.accept()
        acc = 0
    except OSError as e:
        acc = e.errno
    tap.ok(to == st0["Timeouts"] + 1 and len(sas) == 3 and
           st1["PassiveOpens"] == st0["PassiveOpens"] + 1 and
           acc == errno.EAGAIN,
           "synack_retries=2: then the half-open connection times out "
           "(Timeouts +1, PassiveOpens +1, no more SYN-ACKs, accept() "
           "gets nothing: EAGAIN)",
           "Timeouts +%d, PassiveOpens +%d, accept: %s" %
           (to - st0["Timeouts"],
            st1["PassiveOpens"] - st0["PassiveOpens"], acc))
    # The handshake's ACK, too late: only the listener is there to see it.
    rst = []
    if sas:
        n = len(sn.all(lambda x: x.dst == GHOST and x.has(RST)))
        with ns("a"):
            inject(GHOST, B, segment(GHOST, B, 40003, port, 5001,
                                     seq_add(sas[0].seq, 1), flags=ACK))
        rst = sn.wait(lambda x: x.dst == GHOST and x.has(RST), count=n + 1,
                      timeout=3)[n:]
    tap.ok(bool(rst) and rst[0].is_(RST) and
           rst[0].seq == seq_add(sas[0].seq, 1),
           "synack_retries=2: the child is gone: a late ACK of the SYN-ACK "
           "gets an RST <SEQ=SEG.ACK> from the listener", str(sn))
    close_all(ls)
    sn.close()


@case(3)
@sysctls("a", fin_retries=2)
def fin_retries():
    port = 7401
    with ns("a"):
        sysctl("rto_min_ms", 200)
        sysctl("rto_initial_ms", 200)
        to0 = stats()["Timeouts"]
    r_start, _ = wait_refcnt(0, 5)	# earlier TIME-WAITs (1 s) are over
    with ns("a"):
        d = vsock()
    per_sock = refcnt() - r_start		# what one socket holds
    d.close()
    c, s = connected_pair(port, timeout=5, server_timeout=5)
    r_conn = settle()
    with ns("a"):
        sn = Sniffer("a0")
    drop("b", "b0")			# a's peer is gone
    c.close()
    is_fin = lambda x: port in (x.sport, x.dport) and x.src == A and x.has(FIN)
    to = wait_stat("a", "Timeouts", to0, timeout=8)
    time.sleep(1.0)			# a 4th FIN would be due by now
    fins = sn.all(is_fin)
    tap.ok(backoff_ok(fins, 0.2, 3) and len({x.seq for x in fins}) == 1,
           "fin_retries=2, peer gone: the FIN is sent 3 times (2 "
           "retransmissions) at 0, +0.2, +0.4 s (gaps %s)" % gaps(fins),
           str(sn))
    r_after, waited = wait_refcnt(r_conn - per_sock, 3)
    tap.ok(to == to0 + 1 and r_after == r_conn - per_sock,
           "fin_retries=2: then the orphan is reset (Timeouts +1) and freed: "
           "the module refcount drops by what the socket held (%s -> %s, "
           "want %s)" % (r_conn, r_after, r_conn - per_sock),
           "Timeouts +%d, per socket %d" % (to - to0, per_sock))
    undrop("b", "b0")
    s.close()			# its FIN meets no socket at a: RST, gone
    r_end, waited = wait_refcnt(r_start, 5)
    tap.eq(r_end, r_start, "fin_retries=2: once b's side is closed too, the "
           "module refcount is back to its value before the connection")
    sn.close()


# SYN-ACKs at 0, .3, .9, 2.1 s
@case(1)
@sysctls("b", synack_retries=3, rto_initial_ms=300)
def listener_close_drops_child():
    """Closing a listener ends its half-open connections (BSD soclose()
    aborts so_q0; Linux drops a request whose listener is gone)."""
    port = 7302
    r0 = settle()
    ls = listener(port)
    is_sa = lambda x: x.dst == GHOST and x.is_(SYN | ACK) and x.sport == port
    with ns("a"):
        sn = Sniffer("a0")
        inject(GHOST, B, segment(GHOST, B, 40004, port, 7000, flags=SYN))
    first = sn.wait(is_sa)
    ls.close()
    t_close = time.monotonic()
    time.sleep(1.5)
    later = [x for x in sn.all(is_sa) if x.t > t_close]
    r1 = refcnt()
    tap.ok(bool(first) and not later and r1 == r0,
           "closing a listener ends its SYN-RECEIVED child: no SYN-ACK "
           "retransmission in the 1.5 s after close(), its module refs "
           "released (refcnt %s, was %s)" % (r1, r0), str(sn))
    if r1 != r0:
        r1, secs = wait_refcnt(r0, 8)
        tap.msg("the child went %.1f s after its listener (refcnt %s)" %
                (secs + 1.5, r1))
    sn.close()


@case(1)
@sysctls("a", rto_max_ms=250, syn_retries=3)
def rto_max():
    port = 7203
    with ns("a"):
        sysctl("rto_initial_ms", 200)
    ls = listener(port)
    drop("b", "b0")
    with ns("a"):
        sn = Sniffer("a0")
        c = vsock()
        c.settimeout(10)
        t0 = time.monotonic()
        try:
            c.connect((B, port))
            err = 0
        except OSError as e:
            err = e.errno if e.errno is not None else type(e).__name__
        secs = time.monotonic() - t0
    time.sleep(0.5)
    syns = sn.all(lambda x: port in (x.sport, x.dport) and x.src == A and
                  x.is_(SYN))
    g = gaps(syns)
    # Uncapped, the gaps would be 0.2, 0.4, 0.8 s and the end 3 s away.
    tap.ok(err == errno.ETIMEDOUT and len(syns) == 4 and
           0.16 <= g[0] <= 0.35 and all(0.2 <= x <= 0.375 for x in g[1:]) and
           0.8 <= secs <= 1.8,
           "rto_max_ms=250 caps the backoff: 4 SYNs at 0, +0.2, +0.25, "
           "+0.25 s (gaps %s), ETIMEDOUT after ~0.95 s (%.2f s)" % (g, secs),
           "connect: %s\n%s" % (err, str(sn)))
    undrop("b", "b0")
    close_all(c, ls)
    sn.close()


# rack 0: the RTO's own schedule, no tail loss probe before it.
@case(2)
@sysctls("a", rto_min_ms=300, data_retries=2, rack=0)
def data_retries():
    port = 7204
    with ns("a"):
        to0 = stats()["Timeouts"]
    c, s = connected_pair(port, timeout=5, server_timeout=5)
    with ns("a"):
        sn = Sniffer("a0")
    drop("b", "b0")
    t0 = time.monotonic()
    c.sendall(b"z" * 100)
    c.settimeout(10)
    try:
        c.recv(10)
        err = 0
    except OSError as e:
        err = e.errno if e.errno is not None else type(e).__name__
    secs = time.monotonic() - t0
    time.sleep(0.5)
    data = sn.all(lambda x: port in (x.sport, x.dport) and x.src == A and
                  x.len == 100)
    tap.ok(backoff_ok(data, 0.3, 3) and len({x.seq for x in data}) == 1,
           "data_retries=2, rto_min_ms=300 (RTT far below): the segment is "
           "sent 3 times, at 0, +0.3, +0.6 s (gaps %s)" % gaps(data), str(sn))
    tap.ok(err == errno.ETIMEDOUT and 1.6 <= secs <= 3.5 and
           stat("a", "Timeouts") == to0 + 1,
           "data_retries=2: then the connection fails with ETIMEDOUT "
           "after 0.3+0.6+1.2 = 2.1 s (%.2f s, bounds 1.6-3.5; Timeouts +1)" %
           secs, "recv: %s" % err)
    undrop("b", "b0")
    close_all(c, s)
    sn.close()


@case(2)
@sysctls("a", fin_timeout_ms=500)
def fin_wait2_timeout():
    port = 7402
    r_start = settle()
    with ns("a"):
        d = vsock()
    per_sock = refcnt() - r_start
    d.close()
    c, s = connected_pair(port, timeout=5, server_timeout=5)
    r_conn = settle()
    with ns("a"):
        sn = Sniffer("a0")
    c.close()					# b never closes: a waits in FIN-WAIT-2
    mine = lambda x: port in (x.sport, x.dport)
    fin = sn.wait(lambda x: mine(x) and x.src == A and x.has(FIN))
    ack = sn.wait(lambda x: mine(x) and x.src == B and x.is_(ACK) and
                  bool(fin) and x.ack == seq_add(fin[0].seq, 1))
    r, _ = wait_refcnt(r_conn - per_sock, 4)
    freed = time.monotonic() - ack[0].t if ack else None
    tap.ok(r == r_conn - per_sock and freed is not None and
           0.4 <= freed <= 1.5,
           "fin_timeout_ms=500: an orphan in FIN-WAIT-2 is freed %s s after "
           "its FIN was ACKed (bounds 0.4-1.5)" %
           ("%.2f" % freed if freed is not None else "never"),
           "refcnt %s, want %s\n%s" % (r, r_conn - per_sock, str(sn)))
    n = len(sn.all(lambda x: mine(x) and x.src == A and x.has(RST)))
    s.close()
    rst = sn.wait(lambda x: mine(x) and x.src == A and x.has(RST),
                  count=n + 1, timeout=3)
    tap.ok(len(rst) == n + 1,
           "fin_timeout_ms=500: the peer's late FIN then meets no socket "
           "(RST)",
           str(sn))
    sn.close()


@case(3)
def time_wait():
    port, a_port = 7501, 5601
    with ns("a"):
        sysctl("msl_ms", 500)
        tw0 = stats()
        sn = Sniffer("a0")
    c, s = connected_pair(port, client_port=a_port, timeout=5,
                          server_timeout=5)
    c.close()
    mine = lambda x: port in (x.sport, x.dport)
    fina = sn.wait(lambda x: mine(x) and x.src == A and x.has(FIN))
    sn.wait(lambda x: mine(x) and x.src == B and x.is_(ACK) and
            bool(fina) and x.ack == seq_add(fina[0].seq, 1))
    s.close()
    finb = sn.wait(lambda x: mine(x) and x.src == B and x.has(FIN))
    last = sn.wait(lambda x: mine(x) and x.src == A and x.is_(ACK) and
                   bool(finb) and x.ack == seq_add(finb[0].seq, 1))
    created = wait_stat("a", "TimeWaitCreated", tw0["TimeWaitCreated"])
    with ns("a"):
        n = vsock()
        try:
            n.bind((A, a_port))
            during = 0
        except OSError as e:
            during = e.errno
    expired_at = None
    end = time.monotonic() + 5
    while time.monotonic() < end:
        if stat("a", "TimeWaitExpired") > tw0["TimeWaitExpired"]:
            expired_at = time.monotonic()
            break
        time.sleep(0.02)
    tap.ok(created == tw0["TimeWaitCreated"] + 1 and
           during == errno.EADDRINUSE,
           "TIME-WAIT: a, which closed first, holds its port: bind() fails "
           "with EADDRINUSE meanwhile", "TimeWaitCreated +%d, bind: %s" %
           (created - tw0["TimeWaitCreated"], during))
    lasted = expired_at - last[0].t if expired_at and last else None
    tap.ok(lasted is not None and 0.8 <= lasted <= 2.0,
           "TIME-WAIT lasts 2*msl_ms: with msl_ms=500 it is gone "
           "(TimeWaitExpired +1) %s s after the last ACK (bounds 0.8-2.0)" %
           ("%.2f" % lasted if lasted is not None else "never"), str(sn))
    with ns("a"):
        try:
            n.bind((A, a_port))
            after = 0
        except OSError as e:
            after = e.errno
    tap.eq(after, 0, "TIME-WAIT: once it is over, the port can be bound again")
    close_all(n)
    sn.close()


@case(3 + len(STRING_SYSCTLS) + len(SYSCTLS))
def sysctl_table():
    sh("ip netns add s1 && ip netns add s2")
    try:
        with ns("s1"):
            names = sorted(os.listdir("/proc/sys/net/vtcp"))
        tap.eq(names, sorted(list(SYSCTLS) + list(STRING_SYSCTLS)),
               "sysctls: /proc/sys/net/vtcp/ holds exactly the documented "
               "settings")
        for name, (dflt, other) in STRING_SYSCTLS.items():
            path = "/proc/sys/net/vtcp/" + name
            with ns("s1"):
                got = [open(path).read().strip()]
                with open(path, "w") as f:
                    f.write(other)
                got.append(open(path).read().strip())
                try:
                    with open(path, "w") as f:
                        f.write("no-such-algorithm")
                    got.append("accepted")
                except OSError as e:
                    got.append(errno.errorcode.get(e.errno, e.errno))
                got.append(open(path).read().strip())
            with ns("s2"):
                got.append(open(path).read().strip())
            tap.eq(got, [dflt, other, "EINVAL", other, dflt],
                   "sysctls: %s defaults to %s, takes %s, refuses an unknown "
                   "name with EINVAL, and is per namespace" % (name, dflt, other))
        for name, (dflt, lo, hi) in SYSCTLS.items():
            problems = []
            with where(name):
                try:
                    v = sysctl(name)
                except OSError as e:
                    v = e
                if v != dflt:
                    problems.append("reads %r, default %d" % (v, dflt))
                for bad in (lo - 1, hi + 1):
                    try:
                        sysctl(name, bad)
                        problems.append("%d accepted" % bad)
                    except OSError as e:
                        if e.errno != errno.EINVAL:
                            problems.append("%d: %s" % (bad, e))
                    if sysctl(name) != dflt:
                        problems.append("%d changed it to %d" %
                                        (bad, sysctl(name)))
                for good in (lo, hi):
                    try:
                        sysctl(name, good)
                        if sysctl(name) != good:
                            problems.append("%d reads back %d" %
                                            (good, sysctl(name)))
                    except OSError as e:
                        problems.append("%d refused: %s" % (good, e))
                try:
                    sysctl(name, dflt)
                except OSError:
                    pass
            tap.ok(not problems,
                   "sysctl %s: default %d; %d and %d fail with EINVAL and "
                   "leave it unchanged; %d and %d are accepted" %
                   (name, dflt, lo - 1, hi + 1, lo, hi), "; ".join(problems))
        with ns("s1"):
            sysctl("rto_initial_ms", 1234)
            sysctl("syn_retries", 3)
            mine = (sysctl("rto_initial_ms"), sysctl("syn_retries"))
        with ns("s2"):
            other = (sysctl("rto_initial_ms"), sysctl("syn_retries"))
        home = (sysctl("rto_initial_ms"), sysctl("syn_retries"))
        tap.ok(mine == (1234, 3) and other == home == (1000, 6),
               "sysctls: a namespace's change is not seen by another "
               "namespace nor by the initial one",
               "s1 %r, s2 %r, init %r" % (mine, other, home))
        host_wide()
    finally:
        sh("ip netns del s1; ip netns del s2")


def where(name):
    """Where a setting is written: s1, or the initial namespace for the
    host-wide ones."""
    return contextlib.nullcontext() if name in HOST_WIDE else ns("s1")


def host_wide():
    """max_orphans limits a count of every namespace's orphans: one value,
    the initial namespace's, read-only in the others."""
    with sysctls(max_orphans=4321):
        with ns("s1"):
            seen = sysctl("max_orphans")
            try:
                sysctl("max_orphans", 1)
                other = 0
            except OSError as e:
                other = e.errno
        container = as_container_root(lambda: sysctl("max_orphans", 1))
        home = sysctl("max_orphans")
    tap.eq((seen, other, container, home),
           (4321, errno.EACCES, errno.EACCES, 4321),
           "sysctls: max_orphans is the host's: another namespace reads the "
           "initial one's value; neither it nor a container's root may "
           "write it (EACCES)")


@case(5)
def teardown_safety():
    r0, _ = wait_refcnt(0, 5)
    # 1. A TIME-WAIT entry in a living namespace pins the module.
    with ns("a"):
        sysctl("msl_ms", 20000)		# 40 s: only the namespace's end kills it
        tw0 = stats()["TimeWaitCreated"]
    c, s = connected_pair(7601, timeout=5, server_timeout=5)
    c.close()
    time.sleep(0.2)
    s.close()
    tw = wait_stat("a", "TimeWaitCreated", tw0)
    r_tw, _ = wait_refcnt(r0 + 1, 3)
    rm = subprocess.run(["rmmod", "vtcp"], stdout=subprocess.DEVNULL,
                        stderr=subprocess.PIPE)
    loaded = os.path.isdir("/sys/module/vtcp")
    tap.ok(tw == tw0 + 1 and rm.returncode != 0 and loaded,
           "rmmod vtcp is refused while a TIME-WAIT socket exists in a "
           "living namespace (refcnt %s, rmmod exit %d)" %
           (r_tw, rm.returncode),
           rm.stderr.decode())
    if not loaded:
        tap.msg("the module is gone with a TIME-WAIT socket alive: reloading")
        sh("insmod %s" % os.environ.get("VM_MODULE", "../build/%s/vtcp.ko" %
                                        os.uname().release))

    # 2. Everything at once in a: connections, a listener, a SYN-RECEIVED
    # child, TIME-WAIT entries.
    with ns("a"):
        # The child retransmits its SYN-ACK at 1, 3, 7 s and gives up at
        # 15 s if nothing ends it sooner.
        sysctl("rto_initial_ms", 1000)
        sysctl("synack_retries", 3)
        st0 = stats()
        sn = Sniffer("a0")
    sh("ip -n a neigh replace %s lladdr %s dev a0 nud permanent" %
       (GHOST2, mac("b", "b0")))
    live1 = connected_pair(7602, timeout=5, server_timeout=5)	# a: client
    la = listener(7603, "a", A)		# stays listening
    with ns("b"):
        cb = vsock()
        cb.settimeout(5)
        cb.connect((A, 7603))
    sa, _ = la.accept()				# a is the server
    with ns("b"):
        inject(GHOST2, A, segment(GHOST2, A, 40009, 7603, 9000, flags=SYN))
    child = sn.wait(lambda x: x.dst == GHOST2 and x.is_(SYN | ACK))
    c, s = connected_pair(7604, timeout=5, server_timeout=5)
    c.close()
    time.sleep(0.2)
    s.close()
    with ns("a"):
        st1 = stats()
    tw_n = st1["TimeWaitCreated"] - st0["TimeWaitCreated"]
    live1[0].sendall(b"hello")
    sa.sendall(b"hello")
    ok = (bool(child) and
          st1["PassiveOpens"] - st0["PassiveOpens"] == 2 and tw_n == 1 and
          live1[1].recv(5) == b"hello" and cb.recv(5) == b"hello")
    tap.ok(ok, "teardown: namespace a holds 2 live connections, a listener, "
           "a SYN-RECEIVED child and 2 TIME-WAIT sockets",
           "SYN-ACK to %s seen: %s, PassiveOpens +%d, TimeWaitCreated +%d" %
           (GHOST2, bool(child), st1["PassiveOpens"] - st0["PassiveOpens"],
            tw_n + 1))
    sn.close()

    # 3. The namespaces go while all that is open; then the sockets go too
    # (as when a process holding them exits).
    t0 = time.monotonic()
    sh("ip netns del a; ip netns del b")
    close_all(live1[0], live1[1], la, cb, sa)
    r1, secs = wait_refcnt(r0, 5)
    tap.ok(r1 == r0,
           "teardown: ip netns del a and b, sockets closed: the module "
           "refcount is back to %d within 5 s (%s after %.1f s)" %
           (r0, r1, secs))
    if r1 != r0:
        # Leave a clean module to the tests that follow: wait it out.
        r1, secs = wait_refcnt(r0, 90)
        tap.msg("refcount %s after %.1f s" % (r1, time.monotonic() - t0))
    rm = subprocess.run(["rmmod", "vtcp"], stderr=subprocess.PIPE)
    gone = not os.path.isdir("/sys/module/vtcp")
    tap.ok(rm.returncode == 0 and gone,
           "teardown: then rmmod vtcp succeeds", rm.stderr.decode())
    mod = os.environ.get("VM_MODULE", "../build/%s/vtcp.ko" %
                         os.uname().release)
    ins = subprocess.run(["insmod", mod], stderr=subprocess.PIPE) \
        if gone else None
    tap.ok(os.path.isdir("/sys/module/vtcp") and refcnt() == 0,
           "teardown: insmod brings the module back, unused",
           ins.stderr.decode() if ins else "")


tap.run([lossy_handshake, syn_retries, synack_retries,
         listener_close_drops_child, rto_max, data_retries, fin_retries,
         fin_wait2_timeout, time_wait, sysctl_table, teardown_safety])
