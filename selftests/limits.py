#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Resource limits: what a peer that stops reading, or stops answering,
can make a host keep; between host a and host b over IPv4, or IPv6 with
VTCP_FAMILY=6, the same cases and bounds.

1. SO_RCVBUF and SO_SNDBUF under a peer that does not read: the receiver
   holds at most its receive buffer (SIOCINQ), the sender at most its send
   buffer plus one segment in the making (SIOCOUTQ), no byte is lost, and
   everything arrives once the peer reads. The same with autotuning:
   within rmem_max.
2. Orphans (closed sockets still closing) with a silent peer (netem loss
   100% on the link): in FIN-WAIT-1 with 64 KiB unsent, in LAST-ACK, and in
   FIN-WAIT-2 (peer alive but never closing). Each state's memory is
   measured (VTCP or VTCPv6 slab objects, the protocol's pages in
   /proc/net/protocols); FIN-WAIT-2 orphans go after fin_timeout_ms,
   LAST-ACK ones after fin_retries. With max_orphans (if the kernel has it;
   the host's, set in the initial namespace) at 50, 100 closes in host a
   leave at most 50 orphans, the rest reset at once and
   counted in OrphanAborts, so the memory they pin is bounded; and once
   they are gone the orphan count is back to 0 (a close with max_orphans
   1 is graceful again).
3. net.vtcp.mem_max_kb: with 256 KiB, four senders to a peer that does not
   read block once the namespace holds about that much (their queues stop
   growing), and go on when the limit is raised; all the data arrives.
4. The protocol's own pressure limit (a sixteenth of memory, as tcp_mem):
   senders to peers whose window is shut fill 8 MiB send buffers until
   /proc/net/protocols says vtcp is under pressure; all the data arrives,
   and the pressure ends once the buffers drain.
"""
import os
import socket
import struct
import threading
import time

from vtcplib import (V6, Tap, addr, case, counters_delta, module_refs, ns, sh,
                     sioc_inq, sioc_outq, slab_objects, stats, sysctl, sysctls,
                     two_hosts, vsock, vtcp_states, wait_module_refs)

B = addr("b")		# in the run's family (VTCP_FAMILY)
PROT = "VTCPv6" if V6 else "VTCP"	# its proto: slab cache, protocols row

ORPHANS = int(os.environ.get("VTCP_ORPHANS", "100"))
tap = Tap(family=True)
T0 = time.monotonic()
two_hosts()
for _h in ("a", "b"):
    with ns(_h):
        sysctl("msl_ms", 100)		# no TIME-WAIT outlives its part


def protocol_pages():
    """The protocol's memory in pages (/proc/net/protocols, PROT's row)."""
    with open("/proc/net/protocols") as f:
        for line in f:
            w = line.split()
            if w and w[0] == PROT:
                return int(w[3])
    return None


def under_pressure():
    """/proc/net/protocols: is PROT under memory pressure?"""
    with open("/proc/net/protocols") as f:
        for line in f:
            w = line.split()
            if w and w[0] == PROT:
                return w[4] == "yes"
    return None


def a_stats():
    with ns("a"):
        return stats()


def b_stats():
    with ns("b"):
        return stats()


def nonzero(counters):
    return {k: v for k, v in counters.items() if v}


def connect_many(n, port, rcvbuf=None, sndbuf=None):
    """@n connections a -> b:@port: (clients, accepted)."""
    with ns("b"):
        ls = vsock()
        if rcvbuf:
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        ls.bind((B, port))
        ls.listen(n + 8)
    ls.settimeout(5)
    cs, ss = [], []
    for _ in range(n):
        with ns("a"):
            c = vsock()
        if sndbuf:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
        c.settimeout(5)
        c.connect((B, port))
        cs.append(c)
        ss.append(ls.accept()[0])
    ls.close()
    return cs, ss


def fill(c, quiet=1.0):
    """Send without blocking until nothing more goes for @quiet seconds."""
    c.setblocking(False)
    total, last, since = 0, -1, time.monotonic()
    chunk = b"\x5a" * 65536
    while time.monotonic() - since < quiet:
        try:
            total += c.send(chunk)
        except BlockingIOError:
            time.sleep(0.05)
        if total != last:
            last, since = total, time.monotonic()
    c.setblocking(True)
    return total


def drain(s, want, timeout=20):
    s.settimeout(timeout)
    got = 0
    while got < want:
        d = s.recv(1 << 20)
        if not d:
            break
        got += len(d)
    return got


# 1. Buffers under a peer that does not read.
def settled(c, s, sent, timeout=3.0):
    """SIOCINQ and SIOCOUTQ once the last small segment is acknowledged
    (a closing window still lets one through now and then)."""
    end = time.monotonic() + timeout
    while True:
        inq, outq = sioc_inq(s), sioc_outq(c)
        if inq + outq == sent or time.monotonic() > end:
            return inq, outq
        time.sleep(0.05)


@case(4)
def buffers():
    """SO_RCVBUF and SO_SNDBUF under a peer that does not read."""
    cs, ss = connect_many(1, 7800, rcvbuf=16384, sndbuf=32768)
    c, s = cs[0], ss[0]
    sent = fill(c)
    inq, outq = settled(c, s, sent)
    rcvbuf = s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    sndbuf = c.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
    tap.msg("SO_RCVBUF 16384 (reads %d), SO_SNDBUF 32768 (reads %d): %d bytes "
            "accepted by send(), SIOCINQ %d, SIOCOUTQ %d" %
            (rcvbuf, sndbuf, sent, inq, outq))
    tap.ok(0 < inq <= rcvbuf, "SO_RCVBUF: the receiver holds at most its "
           "buffer (%d of %d)" % (inq, rcvbuf))
    tap.ok(0 < outq <= sndbuf + 65536, "SO_SNDBUF: the sender queues at most "
           "its buffer and one segment in the making (%d of %d)" %
           (outq, sndbuf))
    tap.eq(inq + outq, sent, "buffers: every byte accepted is in one of them")
    got = drain(s, sent)
    tap.eq(got, sent, "buffers: all of it arrives once the peer reads")
    c.close()
    s.close()


@case(2)
def autotuning():
    cs, ss = connect_many(1, 7801)
    c, s = cs[0], ss[0]
    sent = fill(c, quiet=1.5)
    inq, outq = settled(c, s, sent)
    with ns("b"):
        rmem_max = sysctl("rmem_max")
    tap.msg("autotuned: %d bytes accepted, SIOCINQ %d, SIOCOUTQ %d, rmem_max "
            "%d" % (sent, inq, outq, rmem_max))
    tap.ok(0 < inq <= rmem_max and inq + outq == sent,
           "autotuning: the receiver holds at most rmem_max (%d)" % inq)
    tap.eq(drain(s, sent), sent, "autotuning: all of it arrives")
    c.close()
    s.close()
    refs, _ = wait_module_refs(0, 5)
    tap.msg("part 1: %.0f s, refcnt %s" % (time.monotonic() - T0, refs))


# 2. Orphans with a silent peer. Closing 100 sockets takes longer than
# 1.5 s under the debug kernel (KASAN): the first FIN-WAIT-2 orphans would
# time out before the last are made.
FIN_TIMEOUT_MS = 6000 if "kasan" in open("/proc/cmdline").read() else 1500


def silence(host, on):
    dev = host + "0"
    if on:
        sh("ip netns exec %s tc qdisc add dev %s root netem loss 100%%" %
           (host, dev))
    else:
        sh("ip netns exec %s tc qdisc del dev %s root" % (host, dev))


def measure():
    return module_refs(), slab_objects(PROT), protocol_pages()


def orphans_in_fin_wait1(n, port):
    """@n orphans of host a in FIN-WAIT-1, 64 KiB unsent each: b's sockets
    stay open, a's link drops everything."""
    cs, ss = connect_many(n, port, sndbuf=1 << 20)
    silence("a", True)
    for c in cs:
        c.sendall(b"\xa5" * 65536)
        c.close()
    return ss


def reset_and_wait(ss, base):
    """b's sockets reset theirs; a's orphans then go. Refcount after."""
    for s in ss:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.close()
    return wait_module_refs(base, 10)


@case(3)
def fin_wait1_orphans():
    # The orphans' parts run on short timers, set here as they start.
    for h in ("a", "b"):
        with ns(h):
            sysctl("rto_initial_ms", 200)
            sysctl("rto_min_ms", 200)
            sysctl("rto_max_ms", 400)
            sysctl("fin_retries", 4)
            sysctl("fin_timeout_ms", FIN_TIMEOUT_MS)
            sysctl("msl_ms", 100)
    base, slab0, pages0 = measure()
    before = a_stats()
    ss = orphans_in_fin_wait1(ORPHANS, 7810)
    time.sleep(0.5)
    refs, slab, pages = measure()
    d = counters_delta(before, a_stats())
    per = (pages - pages0) * 4096 // ORPHANS
    tap.msg("FIN-WAIT-1: %d orphans with 64 KiB unsent: +%d %s objects "
            "(%d of them b's open sockets), +%d protocol pages (%d bytes an "
            "orphan)" % (ORPHANS, slab - slab0, PROT, ORPHANS, pages - pages0,
                         per))
    st = vtcp_states("a")
    tap.ok(st.get("FIN-WAIT-1") == ORPHANS and d.get("OrphanAborts", 0) == 0,
           "FIN-WAIT-1: %d orphans live under the default max_orphans" %
           ORPHANS, "host a: %s; %s" % (st, d))
    tap.ok(per < 4 * 65536, "FIN-WAIT-1: an orphan pins its data and little "
           "more (%d bytes)" % per)
    silence("a", False)
    refs, secs = reset_and_wait(ss, base)
    tap.ok(refs <= base, "FIN-WAIT-1: the peer's RSTs free them all (%.1f s)" %
           secs, "refcnt %s, was %s" % (refs, base))


@case(4)
def max_orphans():
    # max_orphans, if the kernel has it: the host's, set in the initial
    # namespace, for a count of every namespace's orphans.
    has_max = os.path.exists("/proc/sys/net/vtcp/max_orphans")
    if has_max:
        with sysctls(max_orphans=50):
            base, slab0, pages0 = measure()
            before = a_stats()
            ss = orphans_in_fin_wait1(ORPHANS, 7820)
            time.sleep(0.5)
            refs, slab, pages = measure()
            d = counters_delta(before, a_stats())
            alive = vtcp_states("a").get("FIN-WAIT-1", 0)
            tap.msg("max_orphans 50: %d closes in a: %d orphans live, "
                    "OrphanAborts +%d, +%d protocol pages" %
                    (ORPHANS, alive, d["OrphanAborts"], pages - pages0))
            tap.ok(alive <= 50 and d["OrphanAborts"] == ORPHANS - alive,
                   "max_orphans 50 in the initial namespace: at most 50 of "
                   "a's orphans, its other closes reset (OrphanAborts)",
                   "alive %d, %s" % (alive, d))
            tap.ok((pages - pages0) * 4096 <= 50 * 4 * 65536,
                   "max_orphans 50: the memory they pin is bounded by the "
                   "limit (%d KiB)" % ((pages - pages0) * 4))
            silence("a", False)
            refs, secs = reset_and_wait(ss, base)
            tap.ok(refs <= base, "max_orphans 50: all freed once the peer "
                   "resets (%.1f s)" % secs)
        # The count is back to 0: one orphan is allowed, a close is graceful.
        with sysctls(max_orphans=1):
            before = a_stats()
            cs, ss = connect_many(1, 7830)
            cs[0].close()
            got = ss[0].recv(16)
            d = counters_delta(before, a_stats())
            tap.ok(got == b"" and d["OrphanAborts"] == 0,
                   "max_orphans 1: a close is a FIN, not a reset: the orphan "
                   "count went back to 0", "recv %r, %s" % (got, d))
            ss[0].close()
    else:
        for name in ("max_orphans 50: at most 50 orphans, the other closes "
                     "reset", "max_orphans 50: the memory they pin is bounded",
                     "max_orphans 50: all freed once the peer resets",
                     "max_orphans 1: a close is a FIN, not a reset"):
            tap.skip(name, "no net.vtcp.max_orphans: orphans are not limited")


@case(2)
def last_ack_orphans():
    # LAST-ACK: b closed first, then b went silent; a closes.
    base, slab0, pages0 = measure()
    before = a_stats()
    cs, ss = connect_many(ORPHANS, 7840)
    for s in ss:
        s.close()
    for c in cs:
        c.recv(1)				# b's FIN: CLOSE-WAIT
    silence("b", True)
    for c in cs:
        c.close()				# LAST-ACK, the ACK never comes
    time.sleep(0.3)
    refs, slab, pages = measure()
    tap.msg("LAST-ACK: %d orphans: +%d %s objects, +%d protocol pages" %
            (ORPHANS, slab - slab0, PROT, pages - pages0))
    # Each resends its FIN (FinRetrans), in LAST-ACK and no other state (on a
    # slow guest the first may be gone after fin_retries before the last
    # closed, so they are not counted all at once).
    st = vtcp_states("a")
    end = time.monotonic() + 10
    while time.monotonic() < end:
        d = counters_delta(before, a_stats())
        if d["FinRetrans"] >= ORPHANS:
            break
        time.sleep(0.05)
    tap.ok(d["FinRetrans"] >= ORPHANS and set(st) <= {"LAST-ACK"},
           "LAST-ACK: %d orphans resend their FIN (FinRetrans +%d)" %
           (ORPHANS, d["FinRetrans"]), "host a: %s" % st)
    refs, secs = wait_module_refs(base, 15)
    d = counters_delta(before, a_stats())
    st = vtcp_states("a")
    tap.ok(refs <= base and not st.get("LAST-ACK"), "LAST-ACK: gone after "
           "fin_retries (4) "
           "(%.1f s)" % secs, "refcnt %s, was %s; host a: %s; %s" %
           (refs, base, st, d))
    silence("b", False)


@case(2)
def fin_wait2_orphans():
    # FIN-WAIT-2: b acknowledges a's FIN but never closes.
    base, slab0, pages0 = measure()
    cs, ss = connect_many(ORPHANS, 7850)
    for c in cs:
        c.close()
    time.sleep(0.3)
    refs, slab, pages = measure()
    tap.msg("FIN-WAIT-2: %d orphans: +%d %s objects (half b's), +%d "
            "protocol pages" % (ORPHANS, slab - slab0, PROT, pages - pages0))
    st = vtcp_states("a")
    tap.ok(st.get("FIN-WAIT-2") == ORPHANS, "FIN-WAIT-2: %d orphans wait for "
           "the peer's FIN" % ORPHANS, "host a: %s" % st)
    t0 = time.monotonic()
    while vtcp_states("a").get("FIN-WAIT-2") and time.monotonic() - t0 < 20:
        time.sleep(0.2)
    st = vtcp_states("a")
    tap.ok(not st.get("FIN-WAIT-2"), "FIN-WAIT-2: gone after fin_timeout_ms "
           "(%.1f s): %.1f s" % (FIN_TIMEOUT_MS / 1000, time.monotonic() - t0),
           "host a: %s" % st)
    for s in ss:
        s.close()
    refs, _ = wait_module_refs(0, 10)
    tap.msg("part 2: %.0f s, refcnt %s" % (time.monotonic() - T0, refs))


# 3. The namespace's memory limit.
N, LIMIT_KB = 4, 256


@case(3)
def mem_max_kb():
    cs, ss = connect_many(N, 7860, rcvbuf=16384, sndbuf=1 << 20)
    with ns("a"):
        sysctl("mem_max_kb", LIMIT_KB)
    progress = [0] * N
    stop = threading.Event()

    def sender(i):
        c = cs[i]
        c.settimeout(0.5)
        chunk = b"\x3c" * 65536
        while not stop.is_set():
            try:
                progress[i] += c.send(chunk)
            except socket.timeout:
                pass
            except OSError:
                return

    threads = [threading.Thread(target=sender, args=(i,), daemon=True)
               for i in range(N)]
    for t in threads:
        t.start()
    time.sleep(2)
    held1 = sum(sioc_outq(c) for c in cs)
    sent1 = sum(progress)
    time.sleep(1)
    held2 = sum(sioc_outq(c) for c in cs)
    sent2 = sum(progress)
    tap.msg("mem_max_kb %d: %d senders hold %d bytes in a (then %d), %d sent "
            "in all (then %d)" % (LIMIT_KB, N, held1, held2, sent1, sent2))
    tap.ok(held2 <= LIMIT_KB * 1024 + N * 65536 and sent2 == sent1,
           "mem_max_kb %d: the senders block instead of queueing more (%d "
           "bytes queued)" % (LIMIT_KB, held2),
           "held %d then %d, sent %d then %d" % (held1, held2, sent1, sent2))
    with ns("a"):
        sysctl("mem_max_kb", 0)
    time.sleep(1.5)
    held3, sent3 = sum(sioc_outq(c) for c in cs), sum(progress)
    tap.ok(sent3 > sent2 and held3 > held2,
           "mem_max_kb raised: the senders go on (%d more bytes queued)" %
           (sent3 - sent2), "held %d, sent %d" % (held3, sent3))
    stop.set()
    for t in threads:
        t.join(5)
    got = 0
    for c, s, i in zip(cs, ss, range(N)):
        c.shutdown(socket.SHUT_WR)
        got += drain(s, progress[i])
    tap.eq(got, sum(progress), "mem_max_kb: every byte sent arrives")
    for c, s in zip(cs, ss):
        c.close()
        s.close()


SO_SNDBUFFORCE = 32
PRESSURE_CONNS = 24			# of 8 MiB each, at most


@case(3)
def protocol_pressure():
    """All vtcp sockets together past the protocol's pressure limit (a
    sixteenth of memory, as tcp_mem): senders whose peer's window is
    shut fill 8 MiB send buffers until /proc/net/protocols says
    pressure; every byte still arrives, and the pressure ends once the
    buffers drain."""
    with sysctls(("a", "b"), rto_initial_ms=1000, rto_min_ms=200,
                 rto_max_ms=120000):
        pressure_with_default_timers()


def pressure_with_default_timers():
    """The default timers: with the orphans' short ones still set (an RTO
    of 400 ms at most), two of seven senders gave up (ETIMEDOUT) under
    the debug kernel while the protocol was past its hard limit."""
    cs, ss, sent = [], [], []
    with ns("b"):
        ls = vsock()
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        ls.bind((B, 7870))
        ls.listen(PRESSURE_CONNS)
    ls.settimeout(5)
    while len(cs) < PRESSURE_CONNS and not under_pressure():
        with ns("a"):
            c = vsock()
        c.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, 8 << 20)
        c.settimeout(5)
        c.connect((B, 7870))
        cs.append(c)
        ss.append(ls.accept()[0])
        sent.append(fill(c, quiet=0.3))
    ls.close()
    pressed, pages = under_pressure(), protocol_pages()
    tap.ok(pressed, "protocol pressure: %d senders holding %d MiB take "
           "%s past its limit (/proc/net/protocols: press yes)" %
           (len(cs), sum(sent) >> 20, PROT),
           "press %s with %d pages after %d connections" %
           (pressed, pages, len(cs)))
    errors = [c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) for c in cs]
    got = 0
    for c, s, n in zip(cs, ss, sent):
        try:
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        try:
            got += drain(s, n, timeout=60)
        except OSError as e:
            errors.append(e.errno)
    tap.ok(got == sum(sent) and not any(errors),
           "protocol pressure: every byte sent arrives, no connection fails",
           "%d of %d bytes; the senders' errors %s; a's counters %s; b's "
           "counters %s" % (got, sum(sent),
                            [os.strerror(e) for e in errors if e],
                            nonzero(a_stats()), nonzero(b_stats())))
    for c, s in zip(cs, ss):
        c.close()
        s.close()
    end = time.monotonic() + 10
    while under_pressure() and time.monotonic() < end:
        time.sleep(0.1)
    tap.ok(not under_pressure(), "protocol pressure: it ends once the "
           "buffers drain (press no)", "%d pages" % protocol_pages())


@case(1)
def nothing_left():
    refs, _ = wait_module_refs(0, 10)
    tap.ok(refs == 0, "nothing is left: module refcount 0", "refcnt %s; host "
           "a: %s; host b: %s; %s objects %s" %
           (refs, vtcp_states("a"), vtcp_states("b"), PROT,
            slab_objects(PROT)))
    tap.msg("%.0f s in all" % (time.monotonic() - T0))


tap.run([buffers, autotuning, fin_wait1_orphans, max_orphans,
         last_ack_orphans, fin_wait2_orphans, mem_max_kb, protocol_pressure,
         nothing_left])
