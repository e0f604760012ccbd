#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The segment fuzzer (tools/vtcpfuzz) at the three kinds of socket a
segment can reach, from host b's namespace with b's address spoofed where
needed, while the counters of host a are watched:

0. an idle established connection, whose sequence numbers the fuzzer
   sees as they are: every class of segment lands in its counter exactly
   (InOutOfWindow + InPawsDrop, the challenge ACKs sent or skipped,
   InBadAck);
1. an established connection a -> b carrying a checked byte stream: it
   must stay byte-exact, host a must receive no injected byte, and every
   class of bad segment must land in its counter (InHdrErrors,
   InCsumErrors, InNoSocket exactly; InOutOfWindow + InPawsDrop, InBadAck
   and the challenges each short only by BacklogDrop, the challenges
   over only by ACKs the moving stream made stale: stream_classes());
2. the TIME-WAIT entry that connection leaves: it survives the segments
   (RSTs included), restarts 2MSL exactly once per FIN in sequence,
   answers exactly the SYNs and data, and ends when told;
3. a listener, from a new spoofed source per segment: every SYN makes a
   child, gets a SYN cookie once the queue is full, or is counted as a
   failed attempt; every ACK is reset (its cookie counted as failed); the
   half-open children stay within the backlog, and all are freed when the
   listener closes.

All four run over IPv4 (A, B), then again over IPv6 (A6, B6: vtcpfuzz
takes the family from the addresses, and spoofs sources of SPOOF_NET6),
with the same seeds and the same assertions; the IPv6 cases say "IPv6: "
first. VTCP_FUZZ_FAMILIES picks the rounds (default "4 6"; "6" for IPv6
alone).

Scale: VTCP_FUZZ_SEGMENTS (default 1000000, split 1:4:2.5:2.5 between the
four) and VTCP_FUZZ_SECONDS (default 24, split the same way) bound each
family's run, whichever comes first: on the 2-core TCG machine the default
runs for the time and sends about 150000 segments per family (the rate is
printed); both families take about as long as IPv4's 40 s did alone. A full 10^6 run of one family: VTCP_FUZZ_FAMILIES=4 (or 6)
VTCP_FUZZ_SECONDS=400 KSFT_TIMEOUT=600; under the debug kernel (about 250
segments/s) VTCP_FUZZ_SECONDS=4400 KSFT_TIMEOUT=5400
CHECK_VM_TIMEOUT=2000 scripts/check --debug -t fuzz.py, 65 minutes.
VTCP_FUZZ_SEED picks the seed (printed; default: from the clock).
"""
import errno
import os
import socket
import struct
import threading
import time

from vtcplib import (A, A6, B, B6, SPOOF_NET, SPOOF_NET6, Stream, Tap, case,
                     connected_pair, counters_delta, family_of, module_refs,
                     ns, route_to_sink, run_fuzzer, show_sockets, stats,
                     sysctl, sysctls, two_hosts, vsock, wait_module_refs)

SEGMENTS = int(os.environ.get("VTCP_FUZZ_SEGMENTS", "1000000"))
SECONDS = float(os.environ.get("VTCP_FUZZ_SECONDS", "24"))
SEED = int(os.environ.get("VTCP_FUZZ_SEED", str(int(time.time()) % 100000)))
# Small, so that even a slow fuzzer (a debug kernel in a guest sharing its
# core) fills the queue within a child's life and gets SYN cookies.
BACKLOG = 4
# Children alive, plus those freed but waiting for their RCU grace period
# (long in a busy TCG guest): bounded by the backlog, not by the SYNs.
REFS_BOUND = 128
PORT, LPORT = 7000, 7100
FAMILIES = [int(f) for f in
            os.environ.get("VTCP_FUZZ_FAMILIES", "4 6").split()]
# What the runs change, put back before the next family's.
SYSCTLS = ("msl_ms", "synack_retries", "rto_initial_ms")

tap = Tap()
tap.msg("seed %d (VTCP_FUZZ_SEED), at most %d segments in %.0f s per "
        "family, families %s" % (SEED, SEGMENTS, SECONDS,
                                 " ".join(map(str, FAMILIES))))
two_hosts()
route_to_sink("a", "a0")
route_to_sink("a", "a0", SPOOF_NET6)


class Family:
    """One round's addresses, and its TAP cases: IPv6's say "IPv6: "
    first, IPv4's say what they always said."""

    def __init__(self, version):
        self.v6 = version == 6
        self.a, self.b = (A6, B6) if self.v6 else (A, B)
        self.spoof = SPOOF_NET6 if self.v6 else SPOOF_NET
        self.tag = "IPv6: " if self.v6 else ""

    def ok(self, cond, desc, diag=None):
        return tap.ok(cond, self.tag + desc, diag)

    def eq(self, got, want, desc):
        return tap.eq(got, want, self.tag + desc)

    def msg(self, text):
        tap.msg(self.tag + text)


def a_stats():
    with ns("a"):
        return stats()


def share(part):
    """Segments and seconds of one phase: (-n, -t) arguments."""
    return ["-n", max(1, int(SEGMENTS * part)), "-t", SECONDS * part]


def classes_counted(d, sent):
    """What the classes a connection judges after its header (vtcpfuzz's
    "oow", "rst", "badack"...) were sent, and what host a counted for
    them: {name: (due, counted)}, one entry per counter family."""
    return {
        # Out of window: InOutOfWindow, or InPawsDrop for those with
        # timestamps (PAWS may judge them first).
        "oow": (sent["oow"] + sent["oow_syn"] + sent["oow_ts"],
                d["InOutOfWindow"] + d.get("InPawsDrop", 0)),
        # One challenge ACK each (RFC 5961 3, 4, 5.2), sent or skipped by
        # the per-connection or namespace limit: a SYN out of window, an
        # RST or SYN in it, an ACK below SND.UNA - MAX.SND.WND.
        "chal": (sent["oow_syn"] + sent["rst"] + sent["syn"] +
                 sent["oldack"],
                 d["ChallengeAcks"] + d["ChallengeAckLimited"] +
                 d["AckSkippedChallenge"]),
        "badack": (sent["badack"], d["InBadAck"]),
    }


@case(3)
def stream_classes(fam, d, sent, desc):
    """The classes at a connection carrying the stream a -> b. Exact per
    class but for two causes, each bounded by a counter or a class:

    - BacklogDrop: a segment that finds a's socket owned by the sender
      thread waits on its backlog, and is dropped when the backlog is
      full, before any class is judged; the drops may be anyone's (the
      peer's real ACKs too), so a class may fall short by up to
      BacklogDrop, and all of them together by no more (a SYN out of
      window counts in "oow" and "chal" alike: one drop, two shortfalls).
    - "ack" (bare ACKs of what the peer acknowledged, the fuzzer's view
      of b's ACKs less up to 1 KiB): a's SND.UNA moves with the stream,
      and a view that lags by more than a window (the fuzzer descheduled,
      its packet socket overflowing, in a slow guest) makes an ACK more
      than a window old when it lands, challenged (RFC 5961 5.2): "chal"
      may exceed its due by up to the "ack" count. The fuzzer cannot
      know; the idle connection's run (below) has no such slack.

    Nothing else moves a class: b sends no data, so a's RCV.NXT and the
    window it offered (never taken back) stay where the fuzzer saw them,
    and the in-window RSTs and SYNs and the out-of-window segments stay
    what they were when sent; a bad ACK is 16 MiB past SND.NXT."""
    k = classes_counted(d, sent)
    drops = d["BacklogDrop"]
    short = {n: due - got for n, (due, got) in k.items()}
    diag = "; ".join("%s: due %d, counted %d" % (n, due, got)
                     for n, (due, got) in k.items()) + \
        "; BacklogDrop %d, ack %d" % (drops, sent["ack"])
    fam.ok(0 <= short["oow"] <= drops, "%s: InOutOfWindow + InPawsDrop "
           "count every out-of-window segment, short only by BacklogDrop" %
           desc, diag)
    fam.ok(0 <= short["badack"] and short["oow"] + short["badack"] <= drops,
           "%s: InBadAck counts every ACK of data never sent, short only "
           "by BacklogDrop" % desc, diag)
    fam.ok(-sent["ack"] <= short["chal"] <= drops,
           "%s: every RST or SYN in the window, SYN out of it and ACK "
           "below SND.UNA - MAX.SND.WND draws one challenge (sent or "
           "skipped), short only by BacklogDrop, over only by stale ACKs" %
           desc, diag)
    fam.msg(diag)


@case(3)
def header_counters(fam, d, sent, desc):
    fam.eq(d["InHdrErrors"], sent["trunc"] + sent["doff"],
           "%s: InHdrErrors counts every truncated header and bad data "
           "offset" % desc)
    fam.eq(d["InCsumErrors"], sent["csum"],
           "%s: InCsumErrors counts every bad checksum" % desc)
    fam.eq(d["InNoSocket"], sent["nosock"] + sent["nosock_rst"],
           "%s: InNoSocket counts every segment to the closed port" % desc)


@case(3)
def phase_idle(fam):
    """0. An idle connection: the fuzzer's view of it stays true, so
    every class must land in its counter exactly."""
    c, s = connected_pair(PORT + 1, addr=fam.b)
    aport = c.getsockname()[1]
    # 1 MiB first: RFC 5961 5.2's window counts only acknowledged bytes.
    pre = threading.Thread(target=c.sendall, args=(os.urandom(1 << 20),))
    pre.start()
    s.settimeout(10)
    got = 0
    while got < 1 << 20:
        got += len(s.recv(1 << 20))
    pre.join()

    def ticker():
        """A byte a -> b now and then for 1.5 s: b's ACKs tell the fuzzer
        what b acknowledged (its ACK classes need that), then silence."""
        for _ in range(6):
            time.sleep(0.25)
            c.send(b"t")
            s.recv(16)

    tick = threading.Thread(target=ticker)
    tick.start()
    before = a_stats()
    sent, total, rate, out = run_fuzzer("b", [
        "-m", "established", "-s", fam.b, "-d", fam.a, "-S", PORT + 1,
        "-D", aport, "-i", "b0", "-r", SEED + 3] + share(0.1))
    tick.join()
    d = counters_delta(before, a_stats())
    fam.msg("idle: %d segments, %.0f/s" % (total, rate))
    fam.msg(" ".join("%s=%d" % kv for kv in sorted(sent.items())))
    k = classes_counted(d, sent)
    diag = "BacklogDrop %d, ack %d" % (d["BacklogDrop"], sent.get("ack", 0))
    fam.eq(k["oow"][1], k["oow"][0], "idle: InOutOfWindow + InPawsDrop "
           "count exactly the out-of-window segments (%s)" % diag)
    fam.eq(k["chal"][1], k["chal"][0], "idle: exactly one challenge (sent "
           "or skipped) per RST or SYN in the window, SYN out of it, ACK "
           "below SND.UNA - MAX.SND.WND; none for the %d ACKs of acked "
           "data" % sent.get("ack", 0))
    fam.eq(d["InBadAck"], sent["badack"], "idle: InBadAck counts exactly "
           "the ACKs of data never sent")
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()				# an RST: no TIME-WAIT left
    s.close()


@case(6 + header_counters.results + stream_classes.results)
def phase_established(fam):
    """1. An established connection, a -> b, under fire: a's port, which
    its TIME-WAIT entry keeps."""
    c, s = connected_pair(PORT, addr=fam.b)
    aport = c.getsockname()[1]
    with ns("a"):
        sysctl("msl_ms", 60000)		# its TIME-WAIT outlives phase 2
    before = a_stats()
    stream = Stream(c, s, seed=SEED)
    sent, total, rate, out = run_fuzzer("b", [
        "-m", "established", "-s", fam.b, "-d", fam.a, "-S", PORT,
        "-D", aport, "-i", "b0", "-r", SEED] + share(0.4))
    exact = stream.finish(timeout=60)
    d = counters_delta(before, a_stats())
    fam.msg("established: %d segments, %.0f/s; stream %d bytes" %
            (total, rate, stream.received))
    fam.msg(" ".join("%s=%d" % kv for kv in sorted(sent.items())))
    fam.ok(exact, "established: the stream stays byte-exact under %d "
           "fuzzed segments" % total, "%s; sent %d, received %d" %
           (stream.error, stream.sent, stream.received))
    if not exact:
        show_sockets(tap)
    fam.ok(total > 0 and all(sent.get(k, 0) > 0 for k in (
        "trunc", "doff", "csum", "nosock", "oow", "oow_syn", "oow_ts", "rst",
        "syn", "badack", "noack", "ack", "oldack")),
        "established: every class of segment was sent", out)
    fam.ok("resets 0" in out, "established: host a never reset the "
           "connection", out)
    header_counters(fam, d, sent, "established")
    fam.eq(d["OutRsts"], sent["nosock"], "established: OutRsts: one RST "
           "for each non-RST to the closed port")
    stream_classes(fam, d, sent, "established")
    fam.ok(d["InSegs"] >= sum(sent.values()),
           "established: InSegs counts every segment sent",
           "InSegs +%d, sent %d" % (d["InSegs"], sum(sent.values())))
    s.close()				# b's FIN: a goes to TIME-WAIT
    c.settimeout(10)
    try:
        injected = c.recv(1 << 16)
    except OSError as e:
        injected = str(e).encode()
    fam.eq(injected, b"", "established: host a received no injected byte, "
           "then the peer's FIN")
    c.close()
    return aport


@case(4 + header_counters.results)
def phase_time_wait(fam, aport):
    """2. The TIME-WAIT entry a's close left, at @aport."""
    time.sleep(0.3)
    refs_tw = module_refs()
    before = a_stats()
    sent, total, rate, out = run_fuzzer("b", [
        "-m", "timewait", "-s", fam.b, "-d", fam.a, "-S", PORT, "-D", aport,
        "-i", "b0", "-r", SEED + 1] + share(0.25))
    d = counters_delta(before, a_stats())
    fam.msg("TIME-WAIT: %d segments, %.0f/s" % (total, rate))
    fam.msg(" ".join("%s=%d" % kv for kv in sorted(sent.items())))
    header_counters(fam, d, sent, "TIME-WAIT")
    fam.eq(d["TimeWaitRestarted"], sent["tw_fin"], "TIME-WAIT: each FIN in "
           "sequence restarts 2MSL, nothing else does")
    fam.eq(d["OutSegs"] + d["AckSkippedTimeWait"],
           sent["tw_fin"] + sent["tw_acked"] + sent["nosock"],
           "TIME-WAIT: OutSegs + AckSkippedTimeWait equal the FINs, SYNs "
           "and data (and the closed port's segments): one answer each, or "
           "its skip by invalid_ratelimit_ms")
    with ns("a"):
        probe = vsock(family=family_of(fam.a))
    try:
        probe.bind((fam.a, aport))
        still = "bound"
    except OSError as e:
        still = e.errno
    probe.close()
    fam.eq(still, errno.EADDRINUSE, "TIME-WAIT: the entry survives the "
           "fuzzer, its %d RSTs included" % sent.get("tw_silent", 0))
    with ns("a"):
        sysctl("msl_ms", 100)
    expired = a_stats()["TimeWaitExpired"]
    run_fuzzer("b", ["-m", "timewait", "-s", fam.b, "-d", fam.a, "-S", PORT,
                     "-D", aport, "-i", "b0", "-c", "tw_fin", "-n", 1])
    refs, secs = wait_module_refs(refs_tw - 1, 5)
    fam.ok(a_stats()["TimeWaitExpired"] == expired + 1 and
           refs <= refs_tw - 1,
           "TIME-WAIT: a FIN with msl_ms at 100 restarts a short 2MSL and "
           "the entry goes (%.1f s)" % secs,
           "refcnt %s, was %s" % (refs, refs_tw))


@case(5 + header_counters.results)
def phase_listener(fam):
    """3. A listener, a new spoofed source of @fam.spoof for every
    segment."""
    refs_before = module_refs()
    with ns("a"):
        # A child lives 0.2 + 0.4 + 0.8 s: the queue of 4 fills at 3 SYNs
        # a second, and children still time out within the phase.
        sysctl("synack_retries", 2)
        sysctl("rto_initial_ms", 200)
        ls = vsock(family=family_of(fam.a))
        ls.bind((fam.a, LPORT))
        ls.listen(BACKLOG)
    refs_base = module_refs()
    peak = [refs_base]
    sampling = threading.Event()

    def sample_refs():
        while not sampling.is_set():
            peak[0] = max(peak[0], module_refs() or 0)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample_refs, daemon=True)
    sampler.start()
    before = a_stats()
    sent, total, rate, out = run_fuzzer("b", [
        "-m", "listener", "-d", fam.a, "-D", LPORT, "-A", fam.spoof,
        "-r", SEED + 2] + share(0.25))
    d = counters_delta(before, a_stats())
    sampling.set()
    sampler.join()
    cookies = d.get("SyncookiesSent", 0)
    fam.msg("listener: %d segments, %.0f/s; %d children made, %d SYN "
            "cookies, %d attempts failed, %d overflows, %d evicted, %d "
            "cookies failed" % (
                total, rate, d["PassiveOpens"], cookies, d["AttemptFails"],
                d["ListenOverflows"], d.get("SynEvicted", 0),
                d.get("SyncookiesFailed", 0)))
    fam.msg(" ".join("%s=%d" % kv for kv in sorted(sent.items())))
    header_counters(fam, d, sent, "listener")
    fam.ok(d["PassiveOpens"] + cookies + d["AttemptFails"] == sent["l_syn"]
           and not d.get("SyncookiesRecv"),
           "listener: every SYN made a child, got a SYN cookie or counts in "
           "AttemptFails", d)
    evicted = d.get("SynEvicted", 0)
    alive = d["PassiveOpens"] - evicted - d["Timeouts"]
    fam.ok(cookies > 0 and not evicted and 0 <= alive <= BACKLOG + 1 and
           d["ListenOverflows"] <= d["AttemptFails"] and
           d.get("SyncookiesFailed", 0) <= sent["l_ack"],
           "listener: a SYN at the full queue gets a SYN cookie "
           "(syncookies=1), an ACK's cookie is checked and fails",
           "SyncookiesSent %d, SynEvicted %d, ListenOverflows %d, "
           "AttemptFails %d, SyncookiesFailed %d, children left %d" % (
               cookies, evicted, d["ListenOverflows"], d["AttemptFails"],
               d.get("SyncookiesFailed", 0), alive))
    fam.eq(d["OutRsts"], sent["l_ack"] + sent["nosock"] + evicted,
           "listener: OutRsts counts one RST for each ACK (its cookie "
           "failed) and each non-RST to the closed port")
    fam.ok(peak[0] - refs_base <= REFS_BOUND,
           "listener: sockets alive stay bounded (module refcount at most "
           "%d above the listener's, for %d SYNs)" %
           (REFS_BOUND, sent["l_syn"]),
           "module refcount peaked %d above the listener's" %
           (peak[0] - refs_base))
    fam.msg("listener: module refcount peaked %d above the listener's" %
            (peak[0] - refs_base))
    ls.close()
    refs, secs = wait_module_refs(refs_before, 5)
    fam.ok(refs <= refs_before, "listener: closing it frees every child "
           "(%.1f s)" % secs, "refcnt %s, want %s" % (refs, refs_before))


@case(phase_idle.results + phase_established.results +
      phase_time_wait.results + phase_listener.results)
def family_round(version):
    """The four runs over IPv@version."""
    fam = Family(version)
    t0 = time.monotonic()
    with sysctls("a", **defaults):	# the phases change them
        phase_idle(fam)
        phase_time_wait(fam, phase_established(fam))
        phase_listener(fam)
    tap.msg("IPv%d: the four runs took %.0f s" %
            (version, time.monotonic() - t0))


@case(1)
def nothing_left():
    refs, secs = wait_module_refs(0, 5)
    tap.eq(refs, 0, "nothing is left: module refcount 0")


with ns("a"):
    defaults = {name: sysctl(name) for name in SYSCTLS}
tap.run([(family_round, version) for version in FAMILIES] + [nothing_left])
