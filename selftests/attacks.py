#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Blind attacks, from host b's namespace with b's address spoofed, at a
connection a -> b and at a listener on host a; over IPv4 (10.0.0.1 and
10.0.0.2), or IPv6 (fd00::1 and fd00::2) with VTCP_FAMILY=6, the same
cases and assertions:

- RFC 5961: an RST in the window but not at RCV.NXT, and a SYN anywhere,
  get a challenge ACK and leave the connection alive; an RST out of the
  window is dropped; challenge ACKs are limited per connection (one per
  invalid_ratelimit_ms) and, when challenge_ack_limit is set, per
  namespace (a budget drawn at random each second); answers to pure ACKs
  out of the window, of data never sent or with an old timestamp go out
  once per invalid_ratelimit_ms; data with an ACK of data never sent, an
  ACK older than SND.UNA - MAX.SND.WND (section 5.2), out of the window or
  without ACK is not delivered. An RST exactly at RCV.NXT does reset: the
  injection itself works.
- RFC 6528: initial sequence numbers of 500 connections from as many
  ports (both sides' ISNs) look random: all distinct, no common
  increment, top nibble uniform (chi-square), every bit balanced; for one
  4-tuple reused 500 times they follow the clock (ns >> 12, 4.096 us
  ticks), as RFC 6528 wants, and nothing else.

- A SYN with FIN at a listener gets no answer, as from TCP.

SYN floods are syncookies.py's.
"""
import errno
import os
import socket
import struct
import time

from vtcplib import (ACK, FIN, RST, SYN, Sniffer, Tap, addr, case,
                     connected_pair, counters_delta, inject, ns, run_fuzzer,
                     segment, stats, sysctls, two_hosts, vsock,
                     wait_module_refs)
from vtcpnl import vtcp_info

A, B = addr("a"), addr("b")	# in the run's family (VTCP_FAMILY)

ISNS = int(os.environ.get("VTCP_ISN_CONNECTS", "500"))
PORT, ISN_PORT = 7200, 7300
SOL_VTCP, VTCP_INFO = 253, 11

tap = Tap(family=True)
T0 = time.monotonic()
two_hosts()


def a_stats():
    with ns("a"):
        return stats()


class Conn:
    """A connection a -> b, watched from b's side of the link."""

    def __init__(self, port):
        self.port = port
        self.c, self.s = connected_pair(port)
        self.c.settimeout(5)
        self.s.settimeout(5)
        self.aport = self.c.getsockname()[1]
        with ns("b"):
            self.sn = Sniffer("b0")
        self.exchange()

    def exchange(self):
        """A byte each way, then quiet: every ACK is out."""
        self.s.sendall(b"x")
        self.c.recv(1)
        self.c.sendall(b"y")
        self.s.recv(1)
        time.sleep(0.3)

    def from_a(self, g):
        return g.src == A and g.sport == self.aport and g.dport == self.port

    def state(self):
        """Host a's SND.NXT and RCV.NXT, from its newest segment, once the
        sniffer has read the one that carries its socket's (VTCP_INFO):
        after a burst it may be seconds behind the link, and a stale
        segment would aim the next one below RCV.NXT. A closed socket
        (TIME-WAIT) has no VTCP_INFO: its newest segment, then."""
        want = None
        if self.c.fileno() != -1:
            i = vtcp_info(self.c.getsockopt(SOL_VTCP, VTCP_INFO, 512))
            want = (i["snd_nxt"], i["rcv_nxt"])
        end = time.monotonic() + 10
        while True:
            g = self.sn.all(self.from_a)[-1]
            got = (g.seq + g.len) & 0xFFFFFFFF, g.ack
            if want in (None, got) or time.monotonic() > end:
                return got
            time.sleep(0.02)

    def spoof(self, seq, ack, flags, payload=b"", win=65535):
        """A segment from b's 4-tuple, not from b's socket."""
        with ns("b"):
            inject(B, A, segment(B, A, self.port, self.aport, seq, ack,
                                 flags, win, payload))

    def answers_after(self, mark, wait=0.6):
        time.sleep(wait)
        return [g for g in self.sn.all()[mark:] if self.from_a(g)]

    def alive(self):
        """Data still flows both ways, exactly."""
        try:
            self.s.sendall(b"ping")
            got = self.c.recv(64)
            self.c.sendall(b"pong")
            back = self.s.recv(64)
        except OSError as e:
            return "%s" % e
        return got == b"ping" and back == b"pong" or (got, back)

    def close(self):
        """Abortive: no FIN-WAIT or TIME-WAIT left behind, even if an
        attack desynchronized the two ends."""
        self.sn.close()
        for sock in (self.c, self.s):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack("ii", 1, 0))
            sock.close()


@case(2)
def challenge(conn, desc, seq_of, flags):
    """Spoof @flags at the sequence number seq_of(rcv_nxt): a challenge
    ACK (ACK of RCV.NXT, at SND.NXT) comes back, counted; still alive."""
    conn.exchange()
    snd, rcv = conn.state()
    before = a_stats()
    mark = len(conn.sn.all())
    conn.spoof(seq_of(rcv), 0, flags)
    got = conn.answers_after(mark)
    d = counters_delta(before, a_stats())
    acks = [g for g in got if g.is_(ACK) and g.ack == rcv and g.seq == snd]
    tap.ok(len(acks) == 1 and d["ChallengeAcks"] == 1,
           "%s: a challenge ACK, counted" % desc,
           "ChallengeAcks +%d; a sent: %s" % (d["ChallengeAcks"], got))
    alive = conn.alive()
    tap.ok(alive is True, "%s: the connection lives on" % desc, alive)


def delivered_instead(conn):
    """What host a reads once b sends b"REAL": exactly that, if nothing
    was injected."""
    conn.s.sendall(b"REAL")
    time.sleep(0.3)
    try:
        return conn.c.recv(4096)
    except OSError as e:
        return str(e).encode()


@case(1)
def injection(conn, desc, seq_of, ack_of, flags, counter):
    conn.exchange()
    snd, rcv = conn.state()
    before = a_stats()
    conn.spoof(seq_of(rcv), ack_of(snd), flags, b"EVIL")
    time.sleep(0.3)
    d = counters_delta(before, a_stats())
    got = delivered_instead(conn)
    tap.ok(got == b"REAL" and (not counter or d[counter] == 1),
           "blind data %s is not delivered%s" %
           (desc, " (%s)" % counter if counter else ""),
           "a read %r; %s +%s" % (got, counter, d.get(counter)))


# 1. RFC 5961 at an established connection.
@case(5 * challenge.results + 2 + 3 * injection.results)
def rfc5961():
    global conn			# the cases after it use it too
    conn = Conn(PORT)
    challenge(conn, "RST in window, not at RCV.NXT", lambda r: r + 100, RST)
    challenge(conn, "RST|ACK in window, RCV.NXT + 1", lambda r: r + 1,
              RST | ACK)
    challenge(conn, "SYN in window", lambda r: r + 100, SYN)
    challenge(conn, "SYN at RCV.NXT", lambda r: r, SYN)
    challenge(conn, "SYN far out of window", lambda r: r + (1 << 30), SYN)

    conn.exchange()
    snd, rcv = conn.state()
    before = a_stats()
    mark = len(conn.sn.all())
    conn.spoof(rcv + (1 << 30), 0, RST)
    got = conn.answers_after(mark)
    d = counters_delta(before, a_stats())
    tap.ok(not got and d["InOutOfWindow"] == 1 and d["ChallengeAcks"] == 0,
           "RST out of window: dropped silently, counted in InOutOfWindow",
           "a sent %s; %s" % (got, d))
    tap.ok(conn.alive() is True, "RST out of window: the connection lives on")

    injection(conn, "with an ACK of data never sent", lambda r: r,
              lambda s: s + 100000, ACK, "InBadAck")
    injection(conn, "out of the window", lambda r: r + (1 << 30),
              lambda s: s, ACK, "InOutOfWindow")
    injection(conn, "without ACK", lambda r: r, lambda s: s, 0, None)


# 1b. Answers to invalid segments: one per invalid_ratelimit_ms (500) per
# connection, as TCP's tcp_invalid_ratelimit; segments with data are exempt.
BURST = 20


def a_timestamps(conn):
    """TSval and TSecr of host a's newest segment (kind 8)."""
    opts = conn.sn.all(conn.from_a)[-1].options
    i = 0
    while i < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        if opts[i] == 8:
            return struct.unpack("!II", opts[i + 2:i + 10])
        i += max(opts[i + 1], 2)
    return None


# One answer per invalid_ratelimit_ms (500), in jiffies, as TCP counts
# it: two answers on the wire are about that far apart. Times on the
# wire, not the test's clock: a loaded guest may process a burst long
# after the test sent it. Less 50 ms: jiffies are not the wire's clock,
# and under TCG a debug kernel's tick may come late (CI once saw two
# answers 489 ms apart, the counter right). Unlimited, the burst's
# answers are 10 ms apart.
LIMIT_GAP = 0.45


def closest(segs):
    """The smallest time between two of @segs (seconds; 9.9 if < 2)."""
    return min((b.t - a.t for a, b in zip(segs, segs[1:])), default=9.9)


def sniffer_drops(sn):
    n = sn.dropped()
    return "; the sniffer lost %d segments" % n if n else ""


@case(1)
def burst_answers(conn, desc, make, counter, exempt=False):
    """BURST spoofed segments make(snd, rcv), 10 ms apart: one answer, the
    rest counted in @counter; or, @exempt, every one answered."""
    if conn.c.fileno() != -1:		# not closed (TIME-WAIT)
        conn.exchange()
    time.sleep(0.6)			# past the last answer's 500 ms
    snd, rcv = conn.state()
    before = a_stats()
    mark = len(conn.sn.all())
    t0 = time.monotonic()
    for _ in range(BURST):
        seq, ack, flags, payload, opts = make(snd, rcv)
        with ns("b"):
            inject(B, A, segment(B, A, conn.port, conn.aport, seq, ack,
                                 flags, 65535, payload, opts))
        time.sleep(0.01)
    secs = time.monotonic() - t0
    got = [g for g in conn.answers_after(mark) if g.is_(ACK) and not g.len]
    d = counters_delta(before, a_stats())
    gap = closest(got)
    if exempt:
        ok = len(got) == BURST and d.get(counter, 0) == 0
        want = "each of %d answered" % BURST
    else:
        ok = 1 <= len(got) and gap >= LIMIT_GAP and \
            d.get(counter, 0) == BURST - len(got)
        want = "at most one answer per 500 ms, the rest in %s" % counter
    tap.ok(ok, "%s: %s" % (desc, want), "%d in %.2f s: %d ACKs, closest "
           "two %.3f s apart on the wire, %s +%d%s" %
           (BURST, secs, len(got), gap, counter, d.get(counter, 0),
            sniffer_drops(conn.sn)))


@case(5 * burst_answers.results)
def rate_limits():
    burst_answers(conn, "pure ACKs out of the window",
                  lambda s, r: (r + (1 << 30), s, ACK, b"", b""),
                  "AckSkippedSeq")
    burst_answers(conn, "ACKs of data never sent",
                  lambda s, r: (r, s + 100000, ACK, b"", b""),
                  "AckSkippedBadAck")
    ts = a_timestamps(conn)
    if ts:
        burst_answers(conn, "pure ACKs with an old timestamp (PAWS)",
                      lambda s, r: (r, s, ACK, b"", struct.pack(
                          "!BBBBII", 1, 1, 8, 10,
                          (a_timestamps(conn)[1] - 1000000) & 0xFFFFFFFF,
                          a_timestamps(conn)[0])), "AckSkippedPaws")
    else:
        tap.skip("pure ACKs with an old timestamp (PAWS): one answer",
                 "the connection has no timestamps")
    burst_answers(conn, "data out of the window (no ACK loop: exempt, as in "
                  "TCP)", lambda s, r: (r + (1 << 30), s, ACK, b"EVIL", b""),
                  "AckSkippedSeq", exempt=True)
    with sysctls("a", invalid_ratelimit_ms=0):
        burst_answers(conn, "invalid_ratelimit_ms 0 turns the limit off",
                      lambda s, r: (r + (1 << 30), s, ACK, b"", b""),
                      "AckSkippedSeq", exempt=True)


# TIME-WAIT answers old SYNs the same way (a 2MSL of 4 s outlives it).
@case(burst_answers.results)
def timewait_burst():
    with sysctls("a", msl_ms=2000):
        tw = Conn(PORT + 3)
        tw.c.close()
        tw.s.close()
        time.sleep(0.6)
        burst_answers(tw, "old SYNs at a TIME-WAIT entry",
                      lambda s, r: (r - 1000, 0, SYN, b"", b""),
                      "AckSkippedTimeWait")
        tw.sn.close()


# Challenge ACKs: a connection's limit first, so that one connection's
# flood cannot spend what the others would answer with (CVE-2016-5696).
@case(6)
def challenge_limits():
    conn2 = Conn(PORT + 2)
    with sysctls("a", challenge_ack_limit=10):
        conn.exchange()
        time.sleep(0.6)
        before = a_stats()
        mark = len(conn.sn.all())
        t0 = time.monotonic()
        sent, total, rate, out = run_fuzzer("b", [
            "-m", "established", "-s", B, "-d", A, "-S", PORT,
            "-D", conn.aport, "-i", "b0", "-c", "rst", "-n", 300,
            "-M", 1000000, "-R", 250])
        # The other connection, in the same second: still challenged.
        conn2.exchange()
        snd2, rcv2 = conn2.state()
        mark2 = len(conn2.sn.all())
        conn2.spoof(rcv2 + 100, 0, RST)
        secs = time.monotonic() - t0
        got = conn.answers_after(mark, 0.3)
        got2 = [g for g in conn2.answers_after(mark2) if g.is_(ACK) and
                g.ack == rcv2]
        d = counters_delta(before, a_stats())
        acks = [g for g in got if g.is_(ACK) and not g.len]
        # vtcpfuzz's probe (out of the window) is answered first, and
        # shares the connection's limit (last_oow_ack, as TCP's
        # last_oow_ack_time).
        probes = sum(n for k, n in sent.items() if k != "rst")
        challenged = d["ChallengeAcks"] - len(got2)
        tap.ok(challenged >= 1 and
               d["ChallengeAcks"] + d.get("AckSkippedChallenge", 0) +
               d["ChallengeAckLimited"] == sent["rst"] + 1,
               "challenge ACKs: at most one per 500 ms per connection, the "
               "rest counted in AckSkippedChallenge",
               "%d RSTs in %.1f s: ChallengeAcks +%d (%d at the other "
               "connection), AckSkippedChallenge +%d, "
               "ChallengeAckLimited +%d" %
               (sent["rst"], secs, d["ChallengeAcks"], len(got2),
                d.get("AckSkippedChallenge", 0), d["ChallengeAckLimited"]))
        tap.ok(len(acks) == challenged + probes - d.get("AckSkippedSeq", 0) and
               closest(acks) >= LIMIT_GAP,
               "challenge ACKs: the wire agrees, none closer than 500 ms",
               "%d on the wire (%d challenges, %d probes, AckSkippedSeq "
               "+%d), the closest two %.3f s apart%s" %
               (len(acks), challenged, probes, d.get("AckSkippedSeq", 0),
                closest(acks), sniffer_drops(conn.sn)))
        tap.eq(len(got2), 1, "challenge ACKs: a flood at one connection "
               "leaves another's challenge ACK in the same second (no shared "
               "budget to count: CVE-2016-5696)")

        # The namespace's budget, without the per-connection limit: drawn
        # each second between half the limit and one and a half times it.
        with sysctls("a", invalid_ratelimit_ms=0):
            conn.exchange()
            before = a_stats()
            t0 = time.monotonic()
            sent, total, rate, out = run_fuzzer("b", [
                "-m", "established", "-s", B, "-d", A, "-S", PORT,
                "-D", conn.aport, "-i", "b0", "-c", "rst", "-n", 600,
                "-M", 1000000])
            secs = time.monotonic() - t0
            d = counters_delta(before, a_stats())
            seconds = int(secs) + 2
            tap.ok(d["ChallengeAcks"] >= 5 and
                   d["ChallengeAcks"] <= 14 * seconds and
                   d["ChallengeAcks"] + d["ChallengeAckLimited"] ==
                   sent["rst"],
                   "challenge ACKs: the namespace's budget "
                   "(challenge_ack_limit 10) allows 5 to 14 a second, the "
                   "rest counted in ChallengeAckLimited",
                   "%d RSTs in %.1f s: ChallengeAcks +%d, ChallengeAckLimited "
                   "+%d" % (sent["rst"], secs, d["ChallengeAcks"],
                            d["ChallengeAckLimited"]))
            # Host b's budget is its own: an RST at b, spoofed from a, now.
            snd, rcv = conn.state()
            with ns("b"):
                b_before = stats()
            with ns("a"):
                inject(A, B, segment(A, B, conn.aport, PORT, snd + 100, 0,
                                     RST))
            time.sleep(0.3)
            with ns("b"):
                stat_b = counters_delta(b_before, stats())
            tap.eq(stat_b["ChallengeAcks"], 1,
                   "challenge ACKs: the budget is per namespace (host b still "
                   "challenges while a is limited)")
    tap.ok(conn.alive() is True, "challenge ACKs: the connection lives on")
    conn2.close()


# The control: an RST exactly at RCV.NXT is the peer's, and resets.
@case(1)
def control_rst():
    conn.exchange()
    snd, rcv = conn.state()
    conn.spoof(rcv, 0, RST)
    time.sleep(0.3)
    try:
        conn.c.send(b"z")
        conn.c.recv(1)
        res = "alive"
    except OSError as e:
        res = e.errno
    tap.eq(res, errno.ECONNRESET, "control: an RST at RCV.NXT resets the "
           "connection (the injection works)")
    conn.close()


# RFC 5961 5.2 on a connection of its own: it may desynchronize it.
@case(2 * injection.results)
def rfc5961_52():
    conn = Conn(PORT + 1)
    injection(conn, "with an ACK below SND.UNA by more than was ever sent "
              "(inside MAX.SND.WND)", lambda r: r, lambda s: s - 5000, ACK,
              None)
    injection(conn, "with an ACK below SND.UNA - MAX.SND.WND (RFC 5961 5.2)",
              lambda r: r, lambda s: s - (1 << 30), ACK, None)
    conn.close()
    tap.msg("%.0f s so far" % (time.monotonic() - T0))


# 2. RFC 6528: initial sequence numbers.
ROLES = ("client", "server")	# whose ISNs: the SYNs', the SYN-ACKs'


def collect_isns(same_port):
    """ISNs of host a's SYNs and host b's SYN-ACKs over ISNS connections,
    each closed by an RST (no TIME-WAIT), with the SYNs' times."""
    with ns("a"):
        sn = Sniffer("a0")
    with ns("b"):
        ls = vsock()
        ls.bind((B, ISN_PORT))
        ls.listen(64)
    ls.settimeout(5)
    for _ in range(ISNS):
        with ns("a"):
            c = vsock()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        if same_port:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            c.bind((A, 40000))
        c.settimeout(5)
        c.connect((B, ISN_PORT))
        srv, _ = ls.accept()
        c.close()
        srv.close()
    time.sleep(0.3)
    ls.close()
    syns = sn.all(lambda g: g.is_(SYN) and g.src == A)
    synacks = sn.all(lambda g: g.is_(SYN | ACK) and g.src == B)
    sn.close()
    return syns, synacks


def looks_random(isns):
    """(ok, diagnostics) of a list of ISNs that should look random."""
    n = len(isns)
    diffs = [(b - a) & 0xFFFFFFFF for a, b in zip(isns, isns[1:])]
    small = sum(1 for d in diffs if min(d, (1 << 32) - d) < (1 << 20))
    bins = [0] * 16
    for x in isns:
        bins[x >> 28] += 1
    chi2 = sum((b - n / 16) ** 2 / (n / 16) for b in bins)
    bits = [sum(1 for x in isns if x >> i & 1) / n for i in range(32)]
    ok = (len(set(isns)) == n and len(set(diffs)) == len(diffs) and
          small <= max(2, n // 100) and chi2 < 37.7 and
          all(0.35 <= f <= 0.65 for f in bits))
    return ok, ("%d ISNs: %d distinct, %d distinct differences, %d "
                "differences under 2^20, top-nibble chi-square %.1f (15 "
                "df, p=0.001 at 37.7), bit frequencies %.2f-%.2f" %
                (n, len(set(isns)), len(set(diffs)), small, chi2,
                 min(bits), max(bits)))


@case(len(ROLES))
def random_isns():
    syns, synacks = collect_isns(False)
    for who, segs in zip(ROLES, (syns, synacks)):
        ok, diag = looks_random([g.seq for g in segs])
        tap.ok(ok and len(segs) == ISNS, "RFC 6528: %s ISNs of %d connections "
               "from as many ports look random" % (who, ISNS), diag)
        tap.msg("%s ISNs, ports vary: %s" % (who, diag))


@case(len(ROLES))
def isn_clock():
    syns, synacks = collect_isns(True)
    for who, segs in zip(ROLES, (syns, synacks)):
        diffs = [(b.seq - a.seq) & 0xFFFFFFFF for a, b in zip(segs, segs[1:])]
        ticks = (segs[-1].t - segs[0].t) * 1e9 / 4096 if len(segs) > 1 else 0
        ratio = sum(diffs) / ticks if ticks else 0
        # Increments repeat when the loop runs at a steady pace (a quarter
        # of them distinct is plenty to rule out a counter).
        tap.ok(len(segs) == ISNS and all(0 < d < (1 << 31) for d in diffs) and
               len(set(diffs)) > len(diffs) // 4 and 0.8 < ratio < 1.25,
               "RFC 6528: %s ISNs of one 4-tuple reused %d times follow the "
               "4.096 us clock (so old duplicates fall behind), no counter" %
               (who, ISNS), "%d SYNs; ISN advance / clock ticks = %.3f; %d "
               "distinct increments" % (len(segs), ratio, len(set(diffs))))
        tap.msg("%s ISNs, one 4-tuple: advance / 4.096 us ticks = %.3f" %
                (who, ratio))


# 3. A SYN with FIN at a listener is dropped unanswered, as TCP's
# tcp_rcv_state_process() does: no half-open connection for a segment
# no stack sends. A plain SYN from the same port, the control, is answered.
def listener_answers(flags, sport):
    with ns("a"):
        sn = Sniffer("a0")
    with ns("b"):
        ls = vsock()
        ls.bind((B, ISN_PORT + 1))
        ls.listen(8)
    with ns("a"):
        inject(A, B, segment(A, B, sport, ISN_PORT + 1, 1000, 0, flags))
    time.sleep(0.5)
    got = sn.all(lambda g: g.src == B and g.dport == sport)
    with ns("a"):
        inject(A, B, segment(A, B, sport, ISN_PORT + 1, 1001, 0, RST))
    ls.close()
    sn.close()
    return got


@case(2)
def syn_fin():
    got = listener_answers(SYN | FIN, 40101)
    tap.ok(not got, "a SYN with FIN at a listener is dropped unanswered (as "
           "TCP)", "answers: %s" % got)
    got = listener_answers(SYN, 40102)
    tap.ok(len(got) == 1 and got[0].is_(SYN | ACK), "control: a plain SYN at "
           "the same listener gets a SYN-ACK", "answers: %s" % got)


@case(1)
def nothing_left():
    refs, _ = wait_module_refs(0, 10)
    tap.eq(refs, 0, "nothing is left: module refcount 0")
    tap.msg("%.0f s in all" % (time.monotonic() - T0))


tap.run([rfc5961, rate_limits, timewait_burst, challenge_limits,
         control_rst, rfc5961_52, random_isns, isn_clock, syn_fin,
         nothing_left])
