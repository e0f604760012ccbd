#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The vtcp trace system (mod/trace.h) as tracefs shows it: the events
exist under events/vtcp/, and a connection between hosts a and b (in the
run's family, VTCP_FAMILY) leaves the events it should, with the right
fields: its states from the handshake (whose first SYN is lost, resent by
the timer) to TIME-WAIT's end, the ACKs' vtcp_probe, a tail loss probe
and a timeout retransmission while b's link drops everything, a
zero-window probe, the timers that fired, and the drops of a segment with
a bad checksum, one out of the window and one for no socket, each with
its reason, which skb:kfree_skb shows too. Then each event with more
consumers at once: perf's counting events and a second tracefs instance."""
import atexit
import ctypes
import errno
import os
import re
import select
import socket
import struct
import subprocess
import time

from vtcplib import (ACK, PSH, SYN, Tap, V6, addr, case, inject, listener,
                     ns, segment, sh, stat, sysctl, two_hosts, u32_match,
                     vsock, wait_stat)

A, B = addr("a"), addr("b")
PORT, ZW_PORT, CONSUMERS_PORT = 7301, 7302, 7303
MSL_MS = 300
TRACING = "/sys/kernel/tracing"
INSTANCE = TRACING + "/instances/vtcp-selftest"
PERF_TYPE_TRACEPOINT = 2
NR_PERF_EVENT_OPEN = 298		# x86_64
LIBC = ctypes.CDLL(None, use_errno=True)
EVENTS = ("vtcp_state", "vtcp_retransmit", "vtcp_drop", "vtcp_probe",
          "vtcp_timer")

tap = Tap(family=True)


def ep(host_addr, port):
    """An endpoint as %pISpc prints it."""
    return ("[%s]:%d" if V6 else "%s:%d") % (host_addr, port)


def tracefs():
    """Mount tracefs if need be; the events directory, or None."""
    if not os.path.isdir(TRACING + "/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", TRACING],
                       capture_output=True)
    return TRACING + "/events" if os.path.isdir(TRACING + "/events") \
        else None


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


LINE = re.compile(r"^\s*(.+?)\s+\[\d+\].*?\s(\w+):\s(.*)$")


def read_trace(path=TRACING + "/trace"):
    """The trace buffer, as (event, {field: value}, text) tuples."""
    out = []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = LINE.match(line)
            if not m:
                continue
            fields = {}
            for tok in m.group(3).replace("reason: ", "reason=").split():
                if "=" in tok:
                    k, v = tok.split("=", 1)
                    fields[k] = v
            out.append((m.group(2), fields, m.group(3)))
    return out


def events(name, **want):
    """Events @name whose fields have the values of @want."""
    return [f for e, f, _ in read_trace() if e == name and
            all(f.get(k) == v for k, v in want.items())]


def wait_event(name, timeout=10.0, **want):
    end = time.monotonic() + timeout
    while True:
        got = events(name, **want)
        if got or time.monotonic() > end:
            return got
        time.sleep(0.1)


def transitions(src, dst):
    """(old, new, event) of the vtcp_state events of the socket at @src
    talking to @dst, in order."""
    return [(f["old"], f["new"], f["event"])
            for f in events("vtcp_state", src=src, dst=dst)]


def drop(host, dev, flags=None):
    """Our segments (those whose flags are exactly @flags, if given) are
    dropped as they reach @dev."""
    sh("ip netns exec %s tc qdisc add dev %s clsact 2>/dev/null; true" %
       (host, dev))
    sh("ip netns exec %s tc filter add dev %s ingress pref 1 %s action drop"
       % (host, dev, u32_match(flags)))


def undrop(host, dev):
    sh("ip netns exec %s tc filter del dev %s ingress pref 1" % (host, dev))


def recv_n(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


# ---------------------------------------------------------------- checks


def dump(pred=lambda e, f: True):
    return "\n".join(t for e, f, t in trace if pred(e, f))[-6000:]


def mine(e, f):
    return e.startswith("vtcp") and {f.get("src"), f.get("dst")} & {CA, CB}


def drop_and_free(reason, skb_reason, **want):
    """The vtcp_drop event of @reason matching @want, and the kfree_skb
    event of the same skb: (vtcp_drop fields, kfree_skb fields)."""
    d = [f for e, f, _ in trace if e == "vtcp_drop" and
         f.get("reason") == reason and
         all(f.get(k) == v for k, v in want.items())]
    if not d:
        return None, None
    k = [f for e, f, _ in trace if e == "kfree_skb" and
         f.get("skbaddr") == d[0]["skbaddr"] and
         f.get("reason") == skb_reason]
    return d[0], (k[0] if k else None)


@case(2)
def handshake():
    a_states = transitions(CA, CB)
    tap.ok(connected and got == 20100 and
           a_states[:2] == [("CLOSED", "SYN-SENT", "connect"),
                            ("SYN-SENT", "ESTABLISHED", "synack")],
           "vtcp_state: a (src=%s dst=%s) goes CLOSED -> SYN-SENT on connect, "
           "SYN-SENT -> ESTABLISHED on synack" % (CA, CB),
           "connected %s, %d bytes; %s\n%s" % (connected, got, a_states,
                                               dump(mine)))

    b_states = transitions(CB, CA)
    tap.ok(b_states[:2] == [("LISTEN", "SYN-RECEIVED", "syn"),
                            ("SYN-RECEIVED", "ESTABLISHED", "ack-of-syn")],
           "vtcp_state: b's child goes LISTEN -> SYN-RECEIVED on syn, "
           "SYN-RECEIVED -> ESTABLISHED on ack-of-syn", b_states)


@case(1)
def lost_syn():
    syn_rtx = events("vtcp_retransmit", src=CA, dst=CB, reason="RTO",
                     flags="SYN", state="SYN-SENT")
    syn_timer = events("vtcp_timer", src=CA, dst=CB, timer="syn", mode="rto")
    tap.ok(bool(syn_rtx) and syn_rtx[0]["len"] == "1" and bool(syn_timer),
           "vtcp_retransmit: the lost SYN goes again for reason=RTO flags=SYN "
           "len=1, after vtcp_timer timer=syn mode=rto",
           "%s %s\n%s" % (syn_rtx, syn_timer, dump(mine)))


@case(1)
def acks_probed():
    probes = events("vtcp_probe", src=CA, dst=CB)
    good = [f for f in probes
            if int(f["cwnd"]) >= int(f["mss"]) > 0 and int(f["srtt"]) > 0 and
            int(f["ssthresh"]) > 0 and "in_flight" in f and
            f["ca_state"] in ("open", "recovery", "loss")]
    tap.ok(len(probes) >= 3 and len(good) == len(probes),
           "vtcp_probe: a's ACKs show cwnd >= mss, ssthresh, srtt > 0, "
           "in_flight and ca_state (%d events)" % len(probes),
           probes[:5])


@case(3)
def tail_loss():
    tlp = events("vtcp_retransmit", src=CA, dst=CB, reason="TLP",
                 state="ESTABLISHED")
    tap.ok(bool(tlp) and tlp[0]["len"] == "100",
           "vtcp_retransmit: the last segment (len=100) goes as a tail loss "
           "probe, reason=TLP", dump(mine))

    rto = events("vtcp_retransmit", src=CA, dst=CB, reason="RTO",
                 state="ESTABLISHED")
    tap.ok(bool(rto) and rto[0]["len"] == "100" and
           int(rto[0]["retries"]) >= 1,
           "vtcp_retransmit: then by the timer, reason=RTO retries >= 1",
           dump(mine))

    timers = [(f["timer"], f["mode"])
              for f in events("vtcp_timer", src=CA, dst=CB)]
    tap.ok(("retrans", "tlp") in timers and ("retrans", "rto") in timers,
           "vtcp_timer: a's RTX timer fired with timer=retrans mode=tlp, then "
           "mode=rto", timers)


@case(1)
def zero_window():
    tap.ok(bool(zw) and zw[0]["state"] == "ESTABLISHED",
           "vtcp_retransmit: a zero window is probed, reason=PROBE",
           dump(lambda e, f: e == "vtcp_retransmit"))


@case(3)
def teardown():
    a_states, b_states = transitions(CA, CB), transitions(CB, CA)
    tap.ok(a_states[2:] == [("ESTABLISHED", "FIN-WAIT-1", "close"),
                            ("FIN-WAIT-1", "FIN-WAIT-2", "ack-of-fin"),
                            ("FIN-WAIT-2", "TIME-WAIT", "fin"),
                            ("TIME-WAIT", "CLOSED", "2msl")],
           "vtcp_state: a closes first: FIN-WAIT-1 (close), FIN-WAIT-2 "
           "(ack-of-fin), TIME-WAIT (fin), CLOSED (2msl)", a_states)

    tap.ok(eof == b"" and
           b_states[2:] == [("ESTABLISHED", "CLOSE-WAIT", "fin"),
                            ("CLOSE-WAIT", "LAST-ACK", "close"),
                            ("LAST-ACK", "CLOSED", "ack-of-fin")],
           "vtcp_state: b: CLOSE-WAIT (fin), LAST-ACK (close), CLOSED "
           "(ack-of-fin)", "eof %r, %s" % (eof, b_states))

    tw = events("vtcp_timer", src=CA, dst=CB, timer="timewait",
                state="TIME-WAIT")
    tap.ok(len(tw) == 1, "vtcp_timer: the 2MSL timer fired once for a's "
           "TIME-WAIT entry (timer=timewait)", dump(mine))


@case(4)
def drops():
    d, k = drop_and_free("CSUM", "TCP_CSUM", src=ep(A, 7401), dst=ep(B, 7402))
    tap.ok(d is not None and d["state"] == "-" and d["flags"] == "SYN" and
           d["seq"] == "1000",
           "vtcp_drop: the bad checksum is dropped, reason=CSUM, with the "
           "segment's addresses, seq and flags", dump(lambda e, f:
                                                      e == "vtcp_drop"))
    tap.ok(k is not None, "skb:kfree_skb: the same skb is freed with "
           "reason TCP_CSUM",
           dump(lambda e, f: e in ("vtcp_drop", "kfree_skb")))

    d, k = drop_and_free("OUT_OF_WINDOW", "TCP_INVALID_SEQUENCE", src=CA,
                         dst=CB)
    tap.ok(d is not None and d["state"] == "ESTABLISHED" and k is not None,
           "vtcp_drop: data out of b's window, reason=OUT_OF_WINDOW "
           "state=ESTABLISHED; kfree_skb says TCP_INVALID_SEQUENCE",
           dump(lambda e, f: e in ("vtcp_drop", "kfree_skb")))

    d, k = drop_and_free("NO_SOCKET", "NO_SOCKET", src=ep(A, 7403),
                         dst=ep(B, 7404))
    tap.ok(d is not None and k is not None,
           "vtcp_drop: a SYN for a port nobody listens on, reason=NO_SOCKET; "
           "kfree_skb says NO_SOCKET",
           dump(lambda e, f: e in ("vtcp_drop", "kfree_skb")))


def perf_open(event_id, cpu):
    """A counting perf event on tracepoint @event_id, every task on @cpu,
    as perf stat -a -e vtcp:... opens it."""
    attr = struct.pack("=IIQQQQQIIQ", PERF_TYPE_TRACEPOINT, 64, event_id,
                       0, 0, 0, 0, 0, 0, 0)
    fd = LIBC.syscall(ctypes.c_long(NR_PERF_EVENT_OPEN),
                      ctypes.create_string_buffer(attr, len(attr)),
                      ctypes.c_int(-1), ctypes.c_int(cpu), ctypes.c_int(-1),
                      ctypes.c_ulong(0))
    if fd < 0:
        raise OSError(ctypes.get_errno(), "perf_event_open")
    return fd


def connect_losing_syn(port):
    """a connects to b:@port, its first SYN dropped at b0 so that the RTX
    timer resends it: (a's socket, b's, connected as connect() said).
    Both blocking, 10 s timeouts."""
    ls = listener(port)
    syn0 = stat("a", "SynRetrans")
    drop("b", "b0", SYN)
    with ns("a"):
        c = vsock()
    c.setblocking(False)
    err = c.connect_ex((B, port))
    wait_stat("a", "SynRetrans", syn0)
    undrop("b", "b0")
    select.select([], [c], [], 10)
    ok = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and \
        err == errno.EINPROGRESS
    c.setblocking(True)
    c.settimeout(10)
    sv, _ = ls.accept()
    sv.settimeout(10)
    ls.close()
    return c, sv, ok


def short_life(port):
    """A connection from a to b:@port that leaves each kind of event: a
    SYN lost and resent, data and its ACKs, a's TIME-WAIT to its end; then
    a SYN for a port nobody listens on, dropped."""
    c, sv, _ = connect_losing_syn(port)
    c.sendall(b"x" * 5000)
    recv_n(sv, 5000)
    tw0 = stat("a", "TimeWaitExpired")
    c.close()
    recv_n(sv, 1)
    sv.close()
    wait_stat("a", "TimeWaitExpired", tw0)
    nosk0 = stat("b", "InNoSocket")
    with ns("a"):
        inject(A, B, segment(A, B, 7405, 7406, 3000, 0, SYN))
    wait_stat("b", "InNoSocket", nosk0)


@case(2)
def consumers():
    """Each vtcp event reaches perf and a second tracefs instance, as it
    reaches the first: the tracepoints with several consumers at once."""
    ids = {}
    for e in EVENTS:
        with open("%s/vtcp/%s/id" % (evdir, e)) as f:
            ids[e] = int(f.read())
    fds, perf_err, counts = {e: [] for e in EVENTS}, None, {}
    top, inst = set(), set()
    os.makedirs(INSTANCE, exist_ok=True)
    try:
        for e in EVENTS:
            for cpu in range(os.cpu_count()):
                try:
                    fds[e].append(perf_open(ids[e], cpu))
                except OSError as err:
                    perf_err = err
        write(INSTANCE + "/events/vtcp/enable", "1")
        write(evdir + "/vtcp/enable", "1")
        write(TRACING + "/trace", "")
        write(INSTANCE + "/trace", "")
        write(TRACING + "/tracing_on", "1")
        short_life(CONSUMERS_PORT)
        write(TRACING + "/tracing_on", "0")
        write(INSTANCE + "/tracing_on", "0")
        for e in EVENTS:
            counts[e] = sum(struct.unpack("Q", os.read(fd, 8))[0]
                            for fd in fds[e])
        top = {e for e, _, _ in read_trace()}
        inst = {e for e, _, _ in read_trace(INSTANCE + "/trace")}
    finally:
        for fd in sum(fds.values(), []):
            os.close(fd)
        write(INSTANCE + "/events/vtcp/enable", "0")
        tracing_off()
        os.rmdir(INSTANCE)
    tap.ok(all(counts.get(e) for e in EVENTS),
           "perf_event_open: a counting event on each vtcp tracepoint "
           "(as perf stat -e vtcp:...) counts the connection's events",
           "counts %s; perf_event_open: %s" % (counts, perf_err))
    tap.ok(set(EVENTS) <= top and set(EVENTS) <= inst,
           "tracefs: a second instance records each vtcp event, as the "
           "first does", "first %s, second %s" % (sorted(top), sorted(inst)))


@case(1)
def events_there():
    tap.ok(not missing, "events/vtcp/ has vtcp_state, vtcp_retransmit, "
           "vtcp_drop, vtcp_probe and vtcp_timer", "missing: %s" % missing)


# The cases that read the trace of the traffic, then one of its own
CHECKS = [handshake, lost_syn, acks_probed, tail_loss, zero_window, teardown,
          drops, consumers]


@case(sum(c.results for c in CHECKS))
def checks_skipped():
    for c in CHECKS:
        for _ in range(c.results):
            tap.skip("trace", "no vtcp events")


@case(events_there.results + checks_skipped.results)
def no_tracing():
    for _ in range(no_tracing.results):
        tap.skip("trace", "this kernel has no event tracing (no %s/events)" %
                 TRACING)


def tracing_off():
    """Enabled events hold the module: whatever happens, off again."""
    write(evdir + "/vtcp/enable", "0")
    write(evdir + "/skb/kfree_skb/enable", "0")
    write(TRACING + "/tracing_on", "1")


# ---------------------------------------------------------------- setup


evdir = tracefs()
if evdir is None:
    tap.run([no_tracing])
two_hosts()
for _h in ("a", "b"):
    with ns(_h):
        sysctl("msl_ms", MSL_MS)
with ns("a"):
    sysctl("rto_initial_ms", 300)	# the lost SYN goes again soon
    sysctl("rto_min_ms", 500)		# a tail loss probe comes first

missing = [e for e in EVENTS
           if not os.path.exists("%s/vtcp/%s/format" % (evdir, e))]
if missing:
    tap.run([events_there, checks_skipped])

write(TRACING + "/tracing_on", "0")
write(TRACING + "/buffer_size_kb", "8192")
write(TRACING + "/trace", "")
atexit.register(tracing_off)
write(evdir + "/vtcp/enable", "1")
write(evdir + "/skb/kfree_skb/enable", "1")
write(TRACING + "/tracing_on", "1")

# ---------------------------------------------------------------- traffic

# The handshake, its first SYN dropped at b0: the RTX timer resends it.
c, s, connected = connect_losing_syn(PORT)
cport = c.getsockname()[1]
CA, CB = ep(A, cport), ep(B, PORT)

# Data: ACKs that vtcp_probe shows.
c.sendall(b"x" * 20000)
got = len(recv_n(s, 20000))

# A loss: b0 drops everything; a tail loss probe, then a timeout.
tlp0, rto0 = stat("a", "LossProbes"), stat("a", "TimeoutRetrans")
drop("b", "b0")
c.sendall(b"y" * 100)
wait_stat("a", "LossProbes", tlp0)
wait_stat("a", "TimeoutRetrans", rto0)
undrop("b", "b0")
got += len(recv_n(s, 100))

# Out of the window: data from a's address and port at a sequence number
# half the space away from anything b expects.
oow0 = stat("b", "InOutOfWindow")
with ns("a"):
    inject(A, B, segment(A, B, cport, PORT, 0x80000000 + os.getpid(), 0,
                         ACK | PSH, payload=b"z" * 10))
wait_stat("b", "InOutOfWindow", oow0)

# A zero window: b reads nothing, a's probes find the window shut.
zls = listener(ZW_PORT)
zls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
with ns("a"):
    zc = vsock()
zc.settimeout(10)
zc.connect((B, ZW_PORT))
zs, _ = zls.accept()
zls.close()
zport = zc.getsockname()[1]
zc.setblocking(False)
try:
    while True:
        zc.send(b"w" * 4096)
except BlockingIOError:
    pass
zw = wait_event("vtcp_retransmit", timeout=15, src=ep(A, zport),
                dst=ep(B, ZW_PORT), reason="PROBE")

# Teardown, a first: a goes through TIME-WAIT, 2MSL is 0.6 s.
twx0 = stat("a", "TimeWaitExpired")
c.close()
eof = recv_n(s, 1)
s.close()
wait_stat("a", "TimeWaitExpired", twx0)

# A bad checksum, and a SYN for a port where nobody listens.
csum0, nosk0 = stat("b", "InCsumErrors"), stat("b", "InNoSocket")
with ns("a"):
    inject(A, B, segment(A, B, 7401, 7402, 1000, 0, SYN, bad_csum=True))
    inject(A, B, segment(A, B, 7403, 7404, 2000, 0, SYN))
wait_stat("b", "InCsumErrors", csum0)
wait_stat("b", "InNoSocket", nosk0)

zc.close()
zs.close()
write(TRACING + "/tracing_on", "0")
trace = read_trace()
tracing_off()

tap.run([events_there] + CHECKS)
