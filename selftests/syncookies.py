#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""SYN cookies (RFC 4987) at host a's listeners, from host b: real vtcp
clients, and a client driven by hand that spoofs sources of 10.9.0.0/16
(host a routes them to a sink; a Sniffer on b0 still sees its answers).
Over IPv4, or IPv6 with VTCP_FAMILY=6: the hosts fd00::1 and fd00::2, the
spoofed sources of fd99::/64, IPv6's MSS table, the same cases.

1. Handshakes through a cookie (syncookies=2): the SYN-ACK leaves no
   socket behind; the ACK that echoes the cookie makes the child,
   ESTABLISHED at once, with what the cookie kept: the peer's MSS rounded
   down to the table (536, 1300, 1440, 1460; IPv6's 1220, 1420, 1440,
   8940, as TCP's), the link's MSS at most, and with timestamps the
   peer's window scale and SACK (in the low bits of our TSval, as TCP);
   without timestamps, neither. Data on that ACK is delivered; a real
   client's connection carries 1 MiB each way, both ends agreeing on MSS,
   window scales, SACK and timestamps.
2. Forged ACKs: a wrong cookie, a cookie echoed from another 4-tuple or
   with another ISN, a burst of random ones, and an expired cookie (made
   two ticks of the cookies' minute counter ago: one to two minutes old)
   make no socket, count in SyncookiesFailed and get an RST;
   the ACK that echoes a fresh cookie still makes one (the control). With
   syncookies=0, or 1 and no cookie sent in the last two minutes, ACKs
   are not checked at all: an RST, nothing counted.
3. A SYN flood: spoofed SYNs at the highest rate the guest makes
   (vtcpfuzz, VTCP_SYNFLOOD_SECS seconds, default 15) at a listener with
   backlog 128 while a real client connects every 20 ms and waits for a
   greeting. With syncookies=1 (the default) at least 95% of its attempts
   complete within one second (five under the debug kernel), the
   listener's memory stays flat (no child past the backlog's, total slab
   within 4 MiB, MemAvailable within 32 MiB; the module's references
   alone under KASAN, whose quarantine keeps freed objects in the slab),
   every SYN past the full queue is answered with a cookie, none is
   evicted; and with syncookies=0 the full queue evicts its oldest
   half-open child, as before cookies. VTCP_SYNFLOOD_TCP=1 floods a Linux
   TCP listener (of the run's family) the same way, for comparison
   (figures only).

Case 2's expired cookie needs the counter to tick twice: it is taken
first, and checked last, as soon as the kernel's jiffies say the counter
has (one to two minutes later, mostly spent on the other cases). The
IPv6 run reports it as a skip: the counter and the age check are code
both families share, and the wait is make check's longest
(VTCP_SYNCOOKIES_EXPIRY=1 runs it there too).
VTCP_SYNCOOKIES_CASES="handshake forged flood" picks sections.
"""
import os
import random
import socket
import struct
import threading
import time

from vtcplib import (ACK, AF, DEBUG_KERNEL, RST, SPOOF_NET, SPOOF_NET6, SYN,
                     V6, Sniffer, Tap, addr, case, counters_delta, inject,
                     make_options, meminfo, module_refs, ns, parse_options,
                     route_to_sink, run_fuzzer, segment, slab_objects, stats,
                     sysctl, two_hosts, vsock, vtcp_ss, wait_after,
                     wait_module_refs)
from vtcplib import mss as link_mss
from vtcpnl import vtcp_info

CASES = os.environ.get("VTCP_SYNCOOKIES_CASES",
                       "handshake forged flood").split()
FLOOD_SECS = float(os.environ.get("VTCP_SYNFLOOD_SECS", "15"))
FLOOD_TCP = os.environ.get("VTCP_SYNFLOOD_TCP") == "1"
SOL_VTCP, VTCP_INFO = 253, 11
OPT_TS, OPT_SACK, OPT_WSCALE = 1, 2, 4
COOKIE_PORT, GATE_PORT, FLOOD_PORT, REAL_PORT = 7500, 7510, 7520, 7530
FLOOD_BACKLOG = 128
# A cookie carries the tick of a counter of minutes, jiffies / (60 * HZ),
# and is good in that tick and the next, as TCP's (tcp_cookie_time(),
# MAX_SYNCOOKIE_AGE 2; mod/syncookies.c): refused from the second tick on.
COOKIE_TICK_SECS, COOKIE_TICKS = 60, 2
# The debug kernel (KASAN) is five times slower, and its quarantine keeps
# freed objects counted in the slab: there the module references tell.
DEBUG = DEBUG_KERNEL
MIN_RATE, IN_TIME = (50, 5.0) if DEBUG else (1000, 1.0)
A = addr("a")		# in the run's family (VTCP_FAMILY)
SPOOF = SPOOF_NET6 if V6 else SPOOF_NET
LINK_MSS = link_mss()	# on a0 and b0: 1460, or 1440 over IPv6
# What a cookie can keep of the peer's MSS (mod/syncookies.c, as TCP's).
MSS_TABLE = (1220, 1420, 1440, 8940) if V6 else (536, 1300, 1440, 1460)

EXPIRY = "forged" in CASES and (
    not V6 or os.environ.get("VTCP_SYNCOOKIES_EXPIRY") == "1")
tap = Tap(family=True)
T0 = time.monotonic()
two_hosts()
route_to_sink("a", "a0", SPOOF)
for _h in ("a", "b"):
    with ns(_h):
        sysctl("msl_ms", 100)	# no TIME-WAIT holds the module for long


def a_stats():
    with ns("a"):
        return stats()


def kernel_clocks():
    """The kernel's jiffies and CLOCK_MONOTONIC (ns), from /proc/timer_list
    ("now at N nsecs", then each CPU's "jiffies: N")."""
    now = None
    with open("/proc/timer_list") as f:
        for line in f:
            if line.startswith("now at "):
                now = int(line.split()[2])
            elif line.startswith("jiffies: "):
                return int(line.split()[1]), now
    raise OSError("no jiffies in /proc/timer_list")


def measure_hz():
    """The kernel's HZ: its jiffies over half a second of its clock, the
    nearest of the values Kconfig offers."""
    j0, n0 = kernel_clocks()
    time.sleep(0.5)
    j1, n1 = kernel_clocks()
    rate = (j1 - j0) * 1e9 / (n1 - n0)
    return min((100, 250, 300, 1000), key=lambda hz: abs(hz - rate))


def cookie_tick(hz):
    """The cookies' minute counter, now."""
    return kernel_clocks()[0] // (COOKIE_TICK_SECS * hz)


def set_cookies(mode):
    """Host a's syncookies sysctl; False (said once) where it is missing."""
    try:
        with ns("a"):
            sysctl("syncookies", mode)
        return True
    except OSError:
        if not getattr(set_cookies, "said", False):
            tap.msg("host a has no net.vtcp.syncookies")
            set_cookies.said = True
        return False


def a_listener(port, backlog=16):
    with ns("a"):
        ls = vsock()
        ls.bind((A, port))
        ls.listen(backlog)
    ls.settimeout(0.5)
    return ls


def accept_or_none(ls, timeout=0.5):
    ls.settimeout(timeout)
    try:
        return ls.accept()[0]
    except socket.timeout:
        return None


def abort(s):
    """Close with an RST: nothing lingers for a peer that is no one."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def info_of(s):
    return vtcp_info(s.getsockopt(SOL_VTCP, VTCP_INFO, 512))


def sockets_to(dst):
    """Host a's vtcp sockets, in any state, whose peer is in @dst (an
    address or a prefix), from sock_diag."""
    if ":" in dst and "/" not in dst:
        dst = "[%s]" % dst		# vtcp ss: an IPv6 address, no port
    return [line for line in vtcp_ss("a", "-a", "-H", "dst", dst)
            if line.split()]


SN = None		# a Sniffer on b0, but never during a flood
_next_src = [0]


def sniff(on):
    """Start or stop SN. A flood's segments would fill it, and parsing
    them would take the CPU the flood and the real client need."""
    global SN
    if on and not SN:
        with ns("b"):
            SN = Sniffer("b0")
    elif not on and SN:
        SN.close()
        SN = None


class Raw:
    """A client driven by hand from b's namespace, from a new spoofed
    source of SPOOF, to A:@port; host a's answers come back to the
    sink, and SN sees them on the way."""

    def __init__(self, port):
        _next_src[0] += 1
        n = _next_src[0]
        self.src = ("fd99::%d:%d" if V6 else "10.9.%d.%d") % \
            (1 + n // 250, 1 + n % 250)
        self.sport, self.port = 20000 + n, port
        self.iss = random.getrandbits(32)
        self.tsval = random.getrandbits(31)
        self.synack = None

    def theirs(self, g):
        return g.src == A and g.dst == self.src and g.dport == self.sport

    def send(self, seq, ack, flags, payload=b"", opts=b"", win=1000):
        with ns("b"):
            inject(self.src, A, segment(self.src, A, self.sport, self.port,
                                        seq, ack, flags, win, payload,
                                        opts))

    def syn(self, mss=LINK_MSS, wscale=None, sack=True, ts=True):
        """Send the SYN; host a's SYN-ACK (a Seg), or None."""
        mark = len(SN.all())
        self.ts = ts
        self.send(self.iss, 0, SYN, opts=make_options(
            mss=mss, wscale=wscale, sack_perm=sack,
            ts=(self.tsval, 0) if ts else None))
        got = wait_after(SN, mark, lambda g: self.theirs(g) and
                         g.is_(SYN | ACK), timeout=3)
        self.synack = got[0] if got else None
        return self.synack

    def ack(self, payload=b"", seq_off=1, ack_off=1, win=1000, flags=ACK):
        """The third segment, echoing the SYN-ACK (its ACK moved by
        @ack_off - 1, its sequence number by @seq_off - 1)."""
        ts = parse_options(self.synack.options).get("ts")
        opts = make_options(ts=(self.tsval + 1, ts[0])) if ts and self.ts \
            else b""
        self.send(self.iss + seq_off, self.synack.seq + ack_off, flags,
                  payload, opts, win)

    def answers(self, mark, pred, timeout=1.0):
        return wait_after(SN, mark, lambda g: self.theirs(g) and pred(g),
                          timeout=timeout)


# ---- 1. Handshakes through a cookie ----------------------------------------

def mss_of(offered):
    """What the cookie keeps of an MSS option (RFC 9293: 536 without; the
    table's smallest for less, IPv6's 1220 that every IPv6 path takes)."""
    if offered is None:
        offered = 536
    return max([m for m in MSS_TABLE if m <= offered] or [MSS_TABLE[0]])


@case(2)
def crafted(ls, mss, wscale, sack, ts):
    """A handshake by hand with these options: what the SYN-ACK said and
    what the child agreed, against what the cookie should keep."""
    desc = "MSS %s, wscale %s, %s, %s" % (
        mss, wscale, "SACK" if sack else "no SACK",
        "timestamps" if ts else "no timestamps")
    raw = Raw(COOKIE_PORT)
    before = a_stats()
    synack = raw.syn(mss, wscale, sack, ts)
    kept = sockets_to(raw.src)
    if not synack:
        tap.ok(False, "cookie (%s): a SYN-ACK" % desc)
        tap.skip("cookie (%s): the ACK makes the child" % desc,
                 "no SYN-ACK")
        return
    o = parse_options(synack.options)
    want_o = {"mss"}
    if ts:			# the rest only fits in the timestamp
        want_o.add("ts")
        if sack:
            want_o.add("sack_perm")
        if wscale is not None:
            want_o.add("wscale")
    raw.ack(b"first")
    s = accept_or_none(ls, 2)
    d = counters_delta(before, a_stats())
    got = {}
    if s:
        s.settimeout(2)
        try:
            got["data"] = s.recv(100)
        except OSError as e:
            got["data"] = str(e)
        i = info_of(s)
        got.update({k: i[k] for k in ("state", "options", "snd_wscale",
                                      "snd_mss", "snd_wnd")})
    want_opts = (OPT_TS | (OPT_SACK if sack else 0) |
                 (OPT_WSCALE if wscale is not None else 0)) if ts else 0
    shift = wscale if want_opts & OPT_WSCALE else 0
    # The child sends no more than its link allows: IPv6's 8940 is 1440.
    want = {"data": b"first", "state": 1, "options": want_opts,
            "snd_wscale": shift,
            "snd_mss": min(mss_of(mss), LINK_MSS) - 12 * ts,
            "snd_wnd": 1000 << shift}
    tap.ok(not kept and set(o) == want_o and
           d.get("SyncookiesSent") == 1 and
           ("ts" not in o or o["ts"][1] == raw.tsval),
           "cookie (%s): the SYN-ACK leaves no socket and offers %s" %
           (desc, sorted(want_o)),
           "sockets %r; options %r; SyncookiesSent +%s" %
           (kept, o, d.get("SyncookiesSent")))
    tap.ok(got == want and d.get("SyncookiesRecv") == 1,
           "cookie (%s): the ACK makes the child, established with MSS %d%s"
           % (desc, want["snd_mss"], ", the rest as offered" if ts else
              " and no option (nowhere to keep them)"),
           "child %r, want %r; SyncookiesRecv +%s" %
           (got, want, d.get("SyncookiesRecv")))
    if s:
        abort(s)


def one_way(tx, rx, data):
    """Send @data from @tx while @rx reads it: did it all arrive, exact?"""
    got = []

    def receive():
        buf = b""
        try:
            while len(buf) < len(data):
                chunk = rx.recv(1 << 16)
                if not chunk:
                    break
                buf += chunk
        except OSError:
            pass
        got.append(buf)

    t = threading.Thread(target=receive)
    t.start()
    try:
        tx.sendall(data)
    except OSError:
        pass
    t.join(30)
    return got == [data]


@case(5)
def real_client():
    """A vtcp client of host b, through a cookie: data both ways, the two
    ends agreeing."""
    ls = a_listener(REAL_PORT)
    before = a_stats()
    with ns("b"):
        c = vsock()
    c.settimeout(10)
    c.connect((A, REAL_PORT))
    s = accept_or_none(ls, 5)
    d = counters_delta(before, a_stats())
    tap.ok(s is not None and d.get("SyncookiesSent") == 1 and
           d.get("SyncookiesRecv") == 1 and d["PassiveOpens"] == 1,
           "real client: its connection completes through a cookie", d)
    if not s:
        c.close()
        ls.close()
        for _ in range(4):
            tap.ok(False, "real client: (no connection)")
        return
    s.settimeout(20)
    up, down = os.urandom(1 << 20), os.urandom(1 << 20)
    tap.ok(one_way(c, s, up) and one_way(s, c, down),
           "real client: 1 MiB each way, exact")
    ci, si = info_of(c), info_of(s)
    tap.ok(ci["options"] == si["options"] == OPT_TS | OPT_SACK | OPT_WSCALE,
           "real client: both ends use timestamps, SACK and window scaling",
           "client %d, server %d" % (ci["options"], si["options"]))
    tap.ok(si["snd_wscale"] == ci["rcv_wscale"] and
           ci["snd_wscale"] == si["rcv_wscale"] and ci["rcv_wscale"] > 0,
           "real client: each end scales the other's window by the shift "
           "the other chose (%d, %d)" % (ci["rcv_wscale"], si["rcv_wscale"]),
           "client %r, server %r" % (ci, si))
    tap.ok(si["snd_mss"] == ci["snd_mss"] == LINK_MSS - 12,
           "real client: MSS %d both ways (%d from the table, less "
           "the timestamps)" % (LINK_MSS - 12, LINK_MSS),
           "client %d, server %d" % (ci["snd_mss"], si["snd_mss"]))
    c.close()
    s.close()
    ls.close()


# ---- 2. Forged ACKs ---------------------------------------------------------

def forged(ls, desc, raw, **how):
    """An ACK from @raw, altered as @how says: no socket, SyncookiesFailed
    +1, an RST back."""
    before = a_stats()
    mark = len(SN.all())
    raw.ack(**how)
    rsts = raw.answers(mark, lambda g: g.has(RST))
    s = accept_or_none(ls, 0.3)
    kept = sockets_to(raw.src)
    d = counters_delta(before, a_stats())
    tap.ok(s is None and not kept and d.get("SyncookiesFailed") == 1 and
           d.get("SyncookiesRecv") == 0 and len(rsts) == 1,
           "forged ACK, %s: no socket, SyncookiesFailed, an RST" % desc,
           "accepted %s; sockets %r; %s RSTs; SyncookiesFailed +%s, "
           "SyncookiesRecv +%s" % (s, kept, len(rsts),
                                   d.get("SyncookiesFailed"),
                                   d.get("SyncookiesRecv")))
    if s:
        abort(s)


def unchecked(ls, desc, raw):
    """A valid-looking ACK that must not be checked at all: an RST back,
    no socket, nothing counted."""
    before = a_stats()
    mark = len(SN.all())
    raw.ack()
    rsts = raw.answers(mark, lambda g: g.has(RST))
    s = accept_or_none(ls, 0.3)
    kept = sockets_to(raw.src)
    d = counters_delta(before, a_stats())
    tap.ok(s is None and not kept and len(rsts) == 1 and
           not d.get("SyncookiesFailed") and not d.get("SyncookiesRecv"),
           "%s: the ACK is not checked (an RST, nothing counted)" % desc,
           "accepted %s; sockets %r; %d RSTs; %r" % (s, kept, len(rsts), d))
    if s:
        abort(s)


@case(7)
def forged_acks(ls, old):
    fresh = Raw(COOKIE_PORT)
    fresh.syn()
    forged(ls, "wrong cookie", fresh, ack_off=1 + 12345)
    other = Raw(COOKIE_PORT)
    other.synack = fresh.synack	# another source port, the same cookie
    other.iss, other.tsval, other.ts = fresh.iss, fresh.tsval, True
    forged(ls, "a cookie of another 4-tuple", other)
    # The ISN counts as TCP's does: added, so one a few below the real
    # one (at most the MSS index) passes, with a smaller MSS.
    forged(ls, "another ISN", fresh, seq_off=1 + 1000)

    # A burst of random cookies from as many sources.
    before = a_stats()
    mark = len(SN.all())
    n = 50
    burst = [Raw(COOKIE_PORT) for _ in range(n)]
    for r in burst:
        r.send(random.getrandbits(32), random.getrandbits(32), ACK)
    time.sleep(0.5)
    rsts = [g for g in SN.all()[mark:] if g.has(RST) and
            any(r.theirs(g) for r in burst)]
    s = accept_or_none(ls, 0.2)
    peers = {("[%s]:%d" if V6 else "%s:%d") % (r.src, r.sport)
             for r in burst}
    kept = [x for x in sockets_to(SPOOF)
            if peers & set(x.split())]
    d = counters_delta(before, a_stats())
    tap.ok(s is None and not kept and len(rsts) == n and
           d.get("SyncookiesFailed") == n and not d.get("SyncookiesRecv"),
           "forged ACKs: %d random cookies make no socket, each counted and "
           "reset" % n, "sockets %r, %d RSTs, %r" % (kept, len(rsts), d))

    # The control: the ACK of the fresh cookie, untouched, makes a child.
    before = a_stats()
    fresh.ack()
    s = accept_or_none(ls, 2)
    d = counters_delta(before, a_stats())
    tap.ok(s is not None and d.get("SyncookiesRecv") == 1 and
           not d.get("SyncookiesFailed"), "control: the ACK of that cookie, "
           "as sent, makes the connection", d)
    if s:
        abort(s)

    # syncookies=0: a valid cookie is not even looked at.
    again = Raw(COOKIE_PORT)
    again.syn()
    set_cookies(0)
    unchecked(ls, "syncookies=0, a fresh valid cookie", again)
    set_cookies(2)

    # syncookies=1 at a listener that never sent one: no check either.
    gate = a_listener(GATE_PORT)
    set_cookies(1)
    unchecked(gate, "syncookies=1 and no cookie sent in two minutes",
              guess(GATE_PORT))
    gate.close()
    set_cookies(2)
    return old


def guess(port):
    """A client that never got a SYN-ACK, guessing one."""
    r = Raw(port)
    r.ts = False
    r.synack = type("G", (), {"seq": random.getrandbits(32),
                              "options": b""})()
    return r


@case(2)
def expired(ls, old):
    """@old's cookie once the counter has ticked twice since the SYN-ACK
    (so at least twice since the cookie was made): refused, as a fresh
    one is not."""
    end = (old.tick + COOKIE_TICKS) * COOKIE_TICK_SECS * old.hz
    left = (end - kernel_clocks()[0]) / old.hz
    if left > 0:
        tap.msg("waiting %.0f s for the first cookie to expire" % left)
        time.sleep(left)
    while kernel_clocks()[0] < end:
        time.sleep(0.05)
    fresh = Raw(COOKIE_PORT)
    fresh.syn()		# a cookie sent just now: the listener checks ACKs
    forged(ls, "a cookie %.0f s old, the counter %d ticks on" %
           (time.monotonic() - old.t, cookie_tick(old.hz) - old.tick), old)
    before = a_stats()
    fresh.ack()
    s = accept_or_none(ls, 2)
    d = counters_delta(before, a_stats())
    tap.ok(s is not None and d.get("SyncookiesRecv") == 1,
           "control: a fresh cookie from the same listener is good", d)
    if s:
        abort(s)


# ---- 3. The flood -----------------------------------------------------------

def slab_bytes():
    """Bytes of active slab objects, all caches (as scripts/bench)."""
    total = 0
    with open("/proc/slabinfo") as f:
        for line in f.readlines()[2:]:
            w = line.split()
            total += int(w[1]) * int(w[3])
    return total


def cache_bytes(cache):
    """Bytes of all the objects a slab cache holds, in use or not."""
    with open("/proc/slabinfo") as f:
        for line in f:
            w = line.split()
            if w and w[0] == cache:
                return int(w[2]) * int(w[3])
    return 0


def flood(mode, proto="vtcp"):
    """FLOOD_SECS of spoofed SYNs at a listener on host a (backlog 128)
    while a real client on b connects every 20 ms; its figures."""
    tcp = proto == "tcp"
    port = FLOOD_PORT + (1 if tcp else 0)
    if not tcp:
        set_cookies(mode)
    refs_before = module_refs()
    with ns("a"):
        ls = socket.socket(AF, socket.SOCK_STREAM) if tcp else vsock()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((A, port))
        ls.listen(FLOOD_BACKLOG)
    ls.settimeout(0.2)
    cache = ("TCP" if tcp else "VTCP") + ("v6" if V6 else "")
    slab0, objs0 = slab_bytes(), slab_objects(cache) or 0
    cache0, avail0 = cache_bytes(cache), meminfo("MemAvailable")
    peak = {"refs": module_refs() or 0, "objs": objs0, "slab": slab0,
            "cache": cache0, "avail": avail0}
    refs0 = peak["refs"]
    going = threading.Event()
    going.set()
    real = {"tries": 0, "ok": 0, "slow": 0, "failed": [], "secs": []}

    def greet():
        while going.is_set():
            try:
                srv, _ = ls.accept()
            except OSError:
                continue
            try:
                srv.sendall(b"hello")
            except OSError:
                pass
            srv.close()

    def connect():
        while going.is_set():
            real["tries"] += 1
            t0 = time.monotonic()
            with ns("b"):
                c = socket.socket(AF, socket.SOCK_STREAM) if tcp \
                    else vsock()
            c.settimeout(5)
            try:
                c.connect((A, port))
                if c.recv(5) == b"hello":
                    secs = time.monotonic() - t0
                    real["secs"].append(secs)
                    real["ok" if secs < IN_TIME else "slow"] += 1
                else:
                    real["failed"].append("no greeting")
            except OSError as e:
                real["failed"].append(os.strerror(e.errno) if e.errno
                                      else str(e))
            c.close()
            time.sleep(0.02)

    def sample():
        while going.is_set():
            peak["refs"] = max(peak["refs"], module_refs() or 0)
            peak["objs"] = max(peak["objs"], slab_objects(cache) or 0)
            peak["cache"] = max(peak["cache"], cache_bytes(cache))
            peak["slab"] = max(peak["slab"], slab_bytes())
            peak["avail"] = min(peak["avail"], meminfo("MemAvailable"))
            time.sleep(0.1)

    threads = [threading.Thread(target=f, daemon=True)
               for f in (greet, connect, sample)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    before = a_stats()
    sent, total, rate, _ = run_fuzzer("b", [
        "-m", "listener", "-d", A, "-D", port, "-c", "l_syn",
        "-t", FLOOD_SECS, "-n", 100000000, "-r", 5] +
        (["-p", 6] if tcp else []))
    time.sleep(1)		# the listener's backlog drains
    going.clear()
    for t in threads:
        t.join(10)
    d = counters_delta(before, a_stats())
    ls.close()
    secs = sorted(real["secs"]) or [0]
    fig = {
        "syns": sent.get("l_syn", 0), "rate": rate, "tries": real["tries"],
        "ok": real["ok"], "slow": real["slow"], "failed": real["failed"],
        "median_ms": secs[len(secs) // 2] * 1000,
        "p99_ms": secs[min(len(secs) - 1, len(secs) * 99 // 100)] * 1000,
        "max_ms": secs[-1] * 1000, "objs": peak["objs"] - objs0,
        "cache_kb": (peak["cache"] - cache0) // 1024,
        "slab_kb": (peak["slab"] - slab0) // 1024,
        "avail_kb": avail0 - peak["avail"], "refs": peak["refs"] - refs0,
        "refs_before": refs_before, "d": d,
    }
    tap.msg("flood (%s, %s): %d SYNs in %.0f s (%.0f/s); real client: %d of "
            "%d within %.0f s, %d slower, %d failed %s; connect + greeting "
            "median %.0f ms, p99 %.0f ms, max %.0f ms" % (
                proto, "syncookies %d" % mode if not tcp else
                "tcp_syncookies", fig["syns"], FLOOD_SECS, rate, fig["ok"],
                fig["tries"], IN_TIME, fig["slow"], len(fig["failed"]),
                sorted(set(fig["failed"])), fig["median_ms"], fig["p99_ms"],
                fig["max_ms"]))
    tap.msg("flood (%s): %s slab objects peak +%d (its cache +%d KiB), "
            "all slab peak +%d KiB, MemAvailable at most %d KiB lower" % (
                proto, cache, fig["objs"], fig["cache_kb"], fig["slab_kb"],
                fig["avail_kb"]))
    if not tcp:
        tap.msg("flood: " + ", ".join("%s %d" % (k, d.get(k, 0)) for k in (
            "PassiveOpens", "SyncookiesSent", "SyncookiesRecv",
            "SyncookiesFailed", "SynEvicted", "ListenOverflows",
            "AttemptFails", "BacklogDrop", "OutRsts")))
    return fig


@case(6)
def flood_checks(f):
    d = f["d"]
    tap.ok(f["syns"] > MIN_RATE * FLOOD_SECS,
           "flood: over %d spoofed SYNs a second (%.0f/s)" %
           (MIN_RATE, f["rate"]))
    tap.ok(f["tries"] >= 20 and f["ok"] >= 0.95 * f["tries"],
           "flood (syncookies 1): the real client connects within %.0f s on "
           "at least 95%% of its attempts (%d of %d)" %
           (IN_TIME, f["ok"], f["tries"]),
           "%d slower, failures %r" % (f["slow"], f["failed"]))
    syns = f["syns"]
    # A SYN that comes while the accepting thread owns the listener waits
    # on its backlog, and one past the backlog's limit is dropped and
    # counted (BacklogDrop): TCP's listener takes SYNs without its lock,
    # vtcp's does not. A loaded guest saw 682 of 141696 so dropped.
    tap.ok(d.get("SyncookiesSent", 0) >=
           syns - FLOOD_BACKLOG - 1 - d.get("BacklogDrop", 0) and
           d.get("SynEvicted", 0) <= d.get("TimeWaitReopened", 0) and
           d["PassiveOpens"] - d.get("SyncookiesRecv", 0) <=
           FLOOD_BACKLOG + 1 + f["tries"] and d["ListenOverflows"] == 0,
           "flood: past the full SYN queue every SYN gets a cookie or is "
           "counted in BacklogDrop, none is evicted (but by a SYN that ends "
           "a TIME-WAIT entry, whose ISN must follow the old connection's)",
           d)
    tap.ok(d.get("SyncookiesRecv", 0) >= f["ok"] - FLOOD_BACKLOG and
           d.get("SyncookiesFailed", 0) == 0,
           "flood: the real client's ACKs carry good cookies (%d), no "
           "forgery counted" % d.get("SyncookiesRecv", 0), d)
    tap.ok((DEBUG or f["objs"] <= FLOOD_BACKLOG + 32) and
           f["refs"] <= FLOOD_BACKLOG + 32,
           "flood: no socket past the backlog's (%s objects peak +%d, "
           "module refcount peak +%d)" % ("VTCPv6" if V6 else "VTCP",
                                          f["objs"], f["refs"]))
    # MemAvailable is the whole guest's (page cache, the flooder, this
    # test): it moved by up to 9 MiB around TCP's listener too.
    tap.ok(DEBUG or (f["slab_kb"] < 4096 and f["avail_kb"] < 32768),
           "flood: the listener's memory stays flat (slab +%d KiB, "
           "MemAvailable -%d KiB)" % (f["slab_kb"], f["avail_kb"]))


@case(2)
def evict_checks(f):
    d = f["d"]
    evicted = d.get("SynEvicted", 0)
    tap.ok(evicted >= f["syns"] - 2 * FLOOD_BACKLOG - d["Timeouts"] -
           d["BacklogDrop"] and not d.get("SyncookiesSent"),
           "flood (syncookies 0): the full SYN queue evicts its oldest "
           "half-open child, no cookie", d)
    tap.ok(f["tries"] >= 5 and f["ok"] + f["slow"] >= 0.5 * f["tries"],
           "flood (syncookies 0): most real connections still complete "
           "(%d of %d)" % (f["ok"] + f["slow"], f["tries"]), f["failed"])


# ---- main -------------------------------------------------------------------

old = None		# EXPIRY: the first cookie, echoed at the end
old_ls = None		# and its listener, which the cases between use


@case(1)
def first_cookie():
    """First of all, a cookie to try again once it has expired."""
    global old, old_ls
    set_cookies(2)
    old_ls = a_listener(COOKIE_PORT)
    old = Raw(COOKIE_PORT)
    old.hz = measure_hz()
    old.t = time.monotonic()
    tap.ok(old.syn() is not None, "a cookie, to be echoed once the "
           "counter has ticked twice (a minute or two later)")
    old.tick = cookie_tick(old.hz)	# the cookie's, or one later


# The handshakes made by hand: (MSS, wscale, SACK, timestamps)
CRAFTED = ((1400, 7, True, True), (1000, 2, False, True),
           (9000, 14, True, True), (1460, 5, True, False),
           (None, None, False, False))


@case(len(CRAFTED) * crafted.results + real_client.results)
def handshake():
    set_cookies(2)
    ls = old_ls or a_listener(COOKIE_PORT)
    for mss, wscale, sack, ts in CRAFTED:
        crafted(ls, mss, wscale, sack, ts)
    real_client()
    if not old_ls:
        ls.close()


@case(forged_acks.results)
def forged_cookies():
    set_cookies(2)
    forged_ls = old_ls or a_listener(COOKIE_PORT)
    forged_acks(forged_ls, old)
    if not old_ls:
        forged_ls.close()


@case(flood_checks.results + 1 + evict_checks.results)
def floods():
    sniff(False)
    for h in ("a", "b"):
        with ns(h):
            sysctl("msl_ms", 100)
    tap.msg("%.0f s so far" % (time.monotonic() - T0))
    f = flood(1)
    flood_checks(f)
    refs, secs = wait_module_refs(f["refs_before"], 10)
    tap.ok(refs is not None and refs <= f["refs_before"],
           "flood: closing the listener frees every socket (%.1f s)" % secs,
           "refcount %s, %s before" % (refs, f["refs_before"]))
    f0 = flood(0)
    evict_checks(f0)
    if FLOOD_TCP:
        flood(0, "tcp")
    set_cookies(1)


@case(expired.results)
def cookie_expired():
    sniff(True)
    set_cookies(2)
    expired(old_ls, old)
    old_ls.close()


@case(1)
def expiry_elsewhere():
    tap.skip("forged ACK, a cookie the counter has ticked twice past: "
             "refused", "checked in the IPv4 run: the counter is code both "
             "families share (VTCP_SYNCOOKIES_EXPIRY=1 checks it here)")


@case(1)
def nothing_left():
    sniff(False)
    refs, _ = wait_module_refs(0, 10)
    tap.eq(refs, 0, "nothing is left: module refcount 0")
    tap.msg("%.0f s in all" % (time.monotonic() - T0))


sniff(True)
tap.run(([first_cookie] if EXPIRY else []) +
        ([handshake] if "handshake" in CASES else []) +
        ([forged_cookies] if "forged" in CASES else []) +
        ([floods] if "flood" in CASES else []) +
        ([cookie_expired] if EXPIRY else
         [expiry_elsewhere] if "forged" in CASES else []) +
        [nothing_left])
