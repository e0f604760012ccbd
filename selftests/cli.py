#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tools/vtcp/vtcp, the command line tool, against sockets whose states
and ports are known: vtcp ss lists them in the right states (text and JSON
checked field by field against the sockets themselves), its state and port
filters select the right ones, -K destroys one; vtcp stats -j matches
/proc/net/vtcp_stats and -z zeroes it; vtcp monitor -j shows a connection's
whole life in RFC order on both ends; vtcp ladder draws it, live and from
the recorded files; bad usage and missing handlers give the exit codes and
messages iproute2 users expect. Over IPv4, or IPv6 with VTCP_FAMILY=6:
the sockets are then AF_INET6 and the tool prints their ends as ss(8)
does, [fd00::1]:port."""
import errno
import json
import os
import re
import signal
import socket
import subprocess
import time

from vtcplib import (PROTO, SYN, V6, Tap, case, inject, listener, ns,
                     segment, sh, sysctl, two_hosts, vsock)
from vtcplib import addr, mss, net_addr, until_monitoring

HERE = os.path.dirname(os.path.abspath(__file__))
# VTCP_CLI: another build of the tool (one with sanitizers, say).
VTCP = os.environ.get("VTCP_CLI",
                      os.path.join(HERE, "..", "tools", "vtcp", "vtcp"))
FIXTURE = os.path.join(HERE, "cli-ladder.json")
OUT = os.environ.get("VM_OUT", "/tmp")
MSL_MS = 200
A, B = addr("a"), addr("b")	# in the run's family (VTCP_FAMILY)
SILENT = net_addr(9)		# a MAC nobody has: its SYNs go unanswered
SPOOFED = net_addr(7)		# a SYN's forged source

tap = Tap(family=True)


def end(a, port):
    """An end as ss(8) prints it: 10.0.0.1:5000, [fd00::1]:5000."""
    return ("[%s]:%s" if ":" in a else "%s:%s") % (a, port)


def run(host, *args, caps=True):
    """vtcp ARGS in namespace @host: (exit code, stdout, stderr)."""
    cmd = ["ip", "netns", "exec", host]
    if not caps:
        cmd += ["setpriv", "--bounding-set=-net_admin"]
    cmd += [VTCP, "-P", str(PROTO)] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def ss_json(host, *args):
    rc, out, err = run(host, "ss", "-j", *args)
    if rc:
        tap.msg("vtcp ss -j %s: %d %s" % (" ".join(args), rc, err.strip()))
    return [json.loads(line) for line in out.splitlines()]


def ports(socks):
    return sorted((s["state"], s["sport"], s["dport"]) for s in socks)


# Bad usage: (arguments, what stderr says)
USAGE_ERRORS = ((["bogus"], "unknown command"),
                (["ss", "--bogus"], "unrecognized option"),
                (["ss", "state", "nosuch"], "unknown state"),
                (["ss", "sport", "lt"], "bad condition"),
                (["ladder", "-c", "0"], "bad count"))


@case(len(USAGE_ERRORS) + 3)
def usage_errors():
    """Exit 1 with a message for bad usage; 2 when the kernel says no."""
    for args, msg in USAGE_ERRORS:
        rc, out, err = run("a", *args)
        tap.ok(rc == 1 and msg in err and not out,
               "vtcp %s: exit 1, \"%s\" on stderr" % (" ".join(args), msg),
               "exit %d, stderr %r, stdout %r" % (rc, err, out))
    rc, out, _ = run("a", "ss", "--help")
    tap.ok(rc == 0 and out.startswith("usage: vtcp ss"),
           "vtcp ss --help: usage on stdout, exit 0")
    p = subprocess.run(["ip", "netns", "exec", "a", VTCP, "-P", "254", "ss"],
                       capture_output=True, text=True)
    tap.ok(p.returncode == 2 and "no sock_diag handler for IP protocol 254"
           in p.stderr and not p.stdout,
           "vtcp -P 254 ss (no such handler): exit 2, says so",
           "exit %d, %r" % (p.returncode, p.stderr))
    rc, _, err = run("a", "ladder", "--from", "/nonexistent")
    tap.ok(rc == 2 and "No such file" in err,
           "vtcp ladder --from a missing file: exit 2 with strerror")


def known_sockets():
    """a: ESTABLISHED, FIN-WAIT-2, TIME-WAIT, SYN-SENT; b: their peers,
    LISTEN and a SYN-RECEIVED from a spoofed SYN."""
    ls = listener(5000)
    # SILENT has a MAC nobody has: its SYNs go unanswered, and no failed
    # ARP or neighbour discovery makes an ICMP error that ends the connect.
    sh("ip -n a neigh replace %s lladdr 02:00:00:00:00:09 dev a0 "
       "nud permanent" % SILENT)
    with ns("a"):
        c = [vsock() for _ in range(4)]
        for s in c[:3]:
            s.settimeout(5)
            s.connect((B, 5000))
        c[3].setblocking(False)
        c[3].connect_ex((SILENT, 6000))	# nobody: stays SYN-SENT
    peers = dict((s.getpeername()[1], s) for s, _ in
                 (ls.accept() for _ in range(3)))
    srv = [peers[s.getsockname()[1]] for s in c[:3]]
    cp = [s.getsockname()[1] for s in c]
    c[1].shutdown(socket.SHUT_WR)		# FIN-WAIT-2 / CLOSE-WAIT
    c[2].close()				# TIME-WAIT / CLOSED
    srv[2].recv(10)
    srv[2].close()
    with ns("a"):
        inject(SPOOFED, B, segment(SPOOFED, B, 7777, 5000, 12345,
                                   flags=SYN))
    srv[0].sendall(b"x" * 100)			# unread on a: Recv-Q 100
    return ls, c, srv, cp


def wait_for(fn, timeout=5.0):
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() > end:
            return v
        time.sleep(0.05)


def ss_filters(want_a, cp):
    """ss filters on a's sockets: (arguments, the sockets they pick of
    @want_a, made with client ports @cp)."""
    return (
        (["dport", "=", "5000"], [w for w in want_a if w[2] == 5000]),
        (["dport", "!=", ":5000"], [("SYN-SENT", cp[3], 6000)]),
        (["dport", "gt", "5000"], [("SYN-SENT", cp[3], 6000)]),
        (["sport", "eq", str(cp[0])], [("ESTAB", cp[0], 5000)]),
        (["sport", ">=", str(min(cp)), "sport", "<=", str(min(cp))],
         [w for w in want_a if w[1] == min(cp)]),
        (["dst", SILENT], [("SYN-SENT", cp[3], 6000)]),
        (["dst", "fd00::/64:5000" if V6 else "10.0.0.0/24:5000",
          "exclude", "time-wait"],
         [w for w in want_a if w[2] == 5000 and w[0] != "TIME-WAIT"]),
        (["state", "established", "state", "fin-wait-2"],
         [w for w in want_a if w[0] in ("ESTAB", "FIN-WAIT-2")]))


@case(9 + len(ss_filters([], [0] * 4)))
def check_ss():
    c, cp = clients, client_ports
    want_a = [("ESTAB", cp[0], 5000), ("FIN-WAIT-2", cp[1], 5000),
              ("SYN-SENT", cp[3], 6000), ("TIME-WAIT", cp[2], 5000)]
    got = wait_for(lambda: ports(ss_json("a", "-a")) == sorted(want_a) and
                   ss_json("a", "-a"))
    tap.eq(ports(got or ss_json("a", "-a")), sorted(want_a),
           "ss -a on a: ESTAB, FIN-WAIT-2, SYN-SENT, TIME-WAIT, ports right")
    want_b = [("CLOSE-WAIT", 5000, cp[1]), ("ESTAB", 5000, cp[0]),
              ("LISTEN", 5000, 0), ("SYN-RECV", 5000, 7777)]
    tap.eq(ports(ss_json("b", "-a")), sorted(want_b),
           "ss -a on b: LISTEN, SYN-RECV (spoofed SYN), ESTAB, CLOSE-WAIT")
    connected = [w for w in want_a if w[0] != "TIME-WAIT"]
    tap.eq(ports(ss_json("a")), sorted(connected),
           "ss without -a: the connected states, no TIME-WAIT")
    rc, out, _ = run("b", "ss", "-l")
    lines = out.splitlines()
    # ss's peer of a listener: "0.0.0.0:*", or "[::]:*" for an AF_INET6
    # one that is IPV6_V6ONLY, as bind() to an IPv6 address makes it.
    peer = "[::]:*" if V6 else "0.0.0.0:*"
    tap.ok(rc == 0 and len(lines) == 2 and lines[0].startswith("State") and
           re.match(r"LISTEN +\d+ +8 +%s +%s" % (re.escape(end(B, 5000)),
                                                 re.escape(peer)),
                    lines[1]), "ss -l on b: header and the listener, as ss "
           "prints it (Send-Q is the backlog)", out)

    est = [s for s in got or [] if s["state"] == "ESTAB"]
    e = est[0] if est else {}
    info = e.get("info", {})
    tap.ok(e.get("src") == A and e.get("dst") == B and
           e.get("ino") == os.fstat(c[0].fileno()).st_ino and
           e.get("uid") == os.getuid() and e.get("cookie", 0) > 0 and
           info.get("state") == "ESTABLISHED" and info.get("snd_mss", 0) > 0
           and info.get("rto_us", 0) > 0 and
           e.get("skmem", {}).get("rcvbuf", 0) > 0,
           "ss -j: the ESTAB socket's addresses, inode, uid, cookie, "
           "vtcp_info and skmem", json.dumps(e))
    recv_q = lambda: [s["recv_q"] for s in ss_json("a", "sport", str(cp[0]))]
    tap.ok(wait_for(lambda: recv_q() == [100]),
           "ss -j: Recv-Q counts the 100 unread bytes", recv_q())
    rc, out, _ = run("a", "ss", "-e", "-i", "-m", "sport", str(cp[0]))
    tap.ok(rc == 0 and "ino:%d " % e.get("ino", -1) in out and
           "sk:%x" % e.get("cookie", -1) in out and "rto:" in out and
           "mss:%d" % mss() in out and "skmem:(r" in out,
           "ss -e -i -m: inode, cookie, RTO, MSS and skmem in text", out)

    rc, out, _ = run("a", "ss", "-o", "state", "time-wait")
    m = re.search(r"timer:\(timewait,(\d+)(ms|\.\d+s|s)\)", out)
    tap.ok(rc == 0 and m and ":%d " % cp[2] in out and
           len(out.splitlines()) == 2,
           "ss -o state time-wait: the one TIME-WAIT, timer:(timewait,...)",
           out)
    rc, out, _ = run("a", "ss", "-o", "state", "syn-sent")
    tap.ok(rc == 0 and re.search(r"SYN-SENT .*%s +"
                                 r"timer:\(syn,\d+(ms|\.\d+s|s),\d+\)" %
                                 re.escape(end(SILENT, 6000)), out),
           "ss -o state syn-sent: its SYN retransmission timer", out)

    for args, want in ss_filters(want_a, cp):
        tap.eq(ports(ss_json("a", "-a", *args)), sorted(want),
               "ss -a %s: the kernel's bytecode/state filter picks the right "
               "sockets" % " ".join(args))


@case(4)
def check_kill():
    c, cp = clients, client_ports
    rc, _, err = run("a", "ss", "-K", "sport", str(cp[0]), caps=False)
    tap.ok(rc == 2 and "Operation not permitted" in err,
           "ss -K without CAP_NET_ADMIN: exit 2, EPERM", err)
    rc, out, err = run("a", "ss", "-K", "-H", "sport", str(cp[0]))
    tap.ok(rc == 0 and ":%d " % cp[0] in out and len(out.splitlines()) == 1,
           "ss -K sport N: destroys and prints that one socket", out + err)
    c[0].settimeout(2)
    try:
        c[0].recv(1000)
        c[0].recv(1000)
        got = 0
    except OSError as e:
        got = e.errno
    tap.eq(got, errno.ECONNABORTED, "the destroyed socket's owner gets "
           "ECONNABORTED")
    tap.eq(ss_json("a", "sport", str(cp[0])), [],
           "the destroyed socket is gone from ss")


@case(4)
def check_stats():
    rc, out, _ = run("a", "stats", "-j")
    st = json.loads(out) if rc == 0 else {}
    with ns("a"):
        with open("/proc/net/vtcp_stats") as f:
            proc = dict(line.split() for line in f)
    tap.ok(set(st) == set(proc) and st.get("ActiveOpens") ==
           int(proc["ActiveOpens"]) >= 4,
           "stats -j: the counters of /proc/net/vtcp_stats, same values",
           out)
    rc, out, _ = run("a", "stats")
    tap.ok(rc == 0 and re.search(r"^ActiveOpens +%d$" % st.get("ActiveOpens",
                                 -1), out, re.M), "stats: NAME VALUE lines")
    rc, _, err = run("a", "stats", "-z", caps=False)
    tap.ok(rc == 2 and "Operation not permitted" in err,
           "stats -z without CAP_NET_ADMIN: exit 2, EPERM", err)
    rc, out, _ = run("a", "stats", "-z", "-j")
    rc2, out2, _ = run("a", "stats", "-j")
    tap.ok(rc == 0 and rc2 == 0 and json.loads(out)["ActiveOpens"] >= 4 and
           json.loads(out2)["ActiveOpens"] == 0,
           "stats -z -j: prints the counters, then they read 0", out2)


def start(host, *args, out=None):
    cmd = ["ip", "netns", "exec", host, VTCP, "-P", str(PROTO)] + list(args)
    return subprocess.Popen(cmd, stdout=out or subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def until_closed(path, port, timeout=15):
    """Wait until the monitor writing @path shows the connection to @port
    closed: the live ladder may see the last event before this monitor has
    read it, and a SIGTERM then would lose it (a slow debug kernel did)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(path) as f:
            lines = f.read().split("\n")[:-1]	# a partial last line waits
        for e in map(json.loads, lines):
            if (e["type"] == "state" and e["new"] == "CLOSED" and
                    e["old"] != "LISTEN" and port in (e["sport"], e["dport"])):
                return True
        time.sleep(0.05)
    return False


def one_connection():
    """a connects to b:5001, echoes "hello", closes first."""
    ls = listener(5001)
    with ns("a"):
        c = vsock()
        c.settimeout(5)
        c.connect((B, 5001))
    s, _ = ls.accept()
    s.settimeout(5)
    c.sendall(b"hello")
    s.sendall(s.recv(100))
    echoed = c.recv(100)
    c.close()
    s.recv(100)
    time.sleep(0.2)			# ACK the FIN first: a FIN-WAIT-2
    s.close()
    ls.close()
    return echoed


def transitions(events, sport, dport):
    return [(e["old"], e["new"], e["event"]) for e in events
            if e["type"] == "state" and e["sport"] == sport and
            e["dport"] == dport]


@case(8)
def check_monitor_and_ladder():
    files = {h: os.path.join(OUT, "cli-%s.json" % h) for h in "ab"}
    mons = {}
    for h in "ab":
        with ns(h):
            sysctl("msl_ms", MSL_MS)
        mons[h] = start(h, "monitor", "-j", out=open(files[h], "w"))
    live = start("a", "ladder", "-t", "30", "dport", "5001")
    ready = all(until_monitoring(files[h], h) for h in "ab")
    time.sleep(0.5)
    echoed = one_connection()
    try:
        out, err = live.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        live.kill()
        out, err = live.communicate()
    closed = all(until_closed(files[h], 5001) for h in "ab")
    for m in mons.values():
        m.send_signal(signal.SIGTERM)
        m.wait(5)
    tap.ok(ready and echoed == b"hello" and closed,
           "monitors running, echo done, both monitors saw it close")

    ev = {}
    for h in "ab":
        with open(files[h]) as f:
            ev[h] = [json.loads(line) for line in f]
    cport = next((e["sport"] for e in ev["a"] if e["dport"] == 5001), 0)
    tap.eq(transitions(ev["a"], cport, 5001), [
        ("CLOSED", "SYN-SENT", "connect"),
        ("SYN-SENT", "ESTABLISHED", "synack"),
        ("ESTABLISHED", "FIN-WAIT-1", "close"),
        ("FIN-WAIT-1", "FIN-WAIT-2", "ack-of-fin"),
        ("FIN-WAIT-2", "TIME-WAIT", "fin"),
        ("TIME-WAIT", "CLOSED", "2msl")],
        "monitor -j on a: the active side's states in RFC order")
    tap.eq(transitions(ev["b"], 5001, cport), [
        ("LISTEN", "SYN-RECEIVED", "syn"),
        ("SYN-RECEIVED", "ESTABLISHED", "ack-of-syn"),
        ("ESTABLISHED", "CLOSE-WAIT", "fin"),
        ("CLOSE-WAIT", "LAST-ACK", "close"),
        ("LAST-ACK", "CLOSED", "ack-of-fin")],
        "monitor -j on b: the passive side's states in RFC order")
    conn = [e for e in ev["a"] if e["sport"] == cport and e["dport"] == 5001]
    hs = [(e["type"], e.get("flags", e.get("new")))
          for e in conn][:5]
    tap.eq(hs, [("state", "SYN-SENT"), ("out", "SYN"), ("in", "SYN,ACK"),
                ("state", "ESTABLISHED"), ("out", "ACK")],
           "monitor -j on a: SYN out, SYN-ACK in, ESTABLISHED, ACK out")
    times = [e["time_ns"] for e in conn]
    tap.ok(times == sorted(times) and len(times) > 10,
           "monitor -j: timestamps in order")
    rc, text, _ = run("a", "monitor", "--from", files["a"])
    tap.ok(rc == 0 and re.search(r"^\d\d:\d\d:\d\d\.\d{6} %s %s "
                                 r"sk:[0-9a-f]+ state SYN-SENT -> "
                                 r"ESTABLISHED on synack$" %
                                 (re.escape(end(A, cport)),
                                  re.escape(end(B, 5001))),
                                 text, re.M) and
           re.search(r" out \[S\] seq \d+ ack 0 len 0 win \d+$", text, re.M),
           "monitor --from: the text form of the same events")

    check_ladder_live(live.returncode, out, err)
    rc, merged, err = run("a", "ladder", "--from", files["a"], "--from",
                          files["b"], "dport", "5001")
    check_ladder_merged(rc, merged, err)
    return files


def rows(text, *needles):
    """Index of the first row holding each needle, in turn (-1: missing)."""
    lines, at, found = text.splitlines(), 0, []
    for n in needles:
        while at < len(lines) and not re.search(n, lines[at]):
            at += 1
        found.append(at if at < len(lines) else -1)
    return found


def check_ladder_live(rc, out, err):
    idx = rows(out, r"CLOSED +\|", r"SYN-SENT +\|-- SYN seq=0 -+>\|",
               r"ESTABLISHED +\|<-+ SYN-ACK seq=0 ack=1 --\|",
               r"\|-- ACK ack=1 -+>\|", r"\|-- data len=5 seq=1 ack=1 -+>\|",
               r"\|<-+ data len=5 seq=1 ack=6 --\|",
               r"FIN-WAIT-1 +\|-- FIN seq=6 ack=6 -+>\|",
               r"TIME-WAIT +\|<-+ FIN seq=6 ack=7 --\|",
               r":-- ACK ack=7 -+>\|", r": 2MSL: \d+\.\d+ s in TIME-WAIT",
               r"CLOSED +\|")
    tap.ok(rc == 0 and -1 not in idx and out.strip().endswith("|"),
           "ladder (live, on a): the arrows and states of the whole life, "
           "2MSL and CLOSED", "exit %d %s\n%s\n%s" % (rc, err, idx, out))


def check_ladder_merged(rc, out, err):
    idx = rows(out, r"SYN-SENT +\|-- SYN seq=0 -+>\| +LISTEN$",
               r"\|<-+ SYN-ACK seq=0 ack=1 --\| +SYN-RECEIVED$",
               r"\| +ESTABLISHED$", r"\| +CLOSE-WAIT$", r"\| +LAST-ACK$",
               r"\| +CLOSED$", r"2MSL", r"CLOSED")
    tap.ok(rc == 0 and -1 not in idx,
           "ladder --from a.json --from b.json: both ends' states beside "
           "the arrows", "exit %d %s\n%s\n%s" % (rc, err, idx, out))


@case(2)
def check_fixture():
    """A recorded connection with a lost data segment and its RTO."""
    rc, out, err = run("a", "ladder", "--from", FIXTURE)
    idx = rows(out, r"\| \* retrans timer fired, retries \d",
               r"\|== retx data len=\d+ seq=1 ack=1 =+>\|",
               r"TIME-WAIT", r"CLOSED")
    tap.ok(rc == 0 and -1 not in idx,
           "ladder --from a recorded file: the timeout and the "
           "retransmission (\"retx\", \"=\" arrow)", "%s\n%s" % (err, out))
    rc, out, err = run("a", "ladder", "--from", FIXTURE, "sport", "1")
    tap.ok(rc == 2 and "no connection matched" in err,
           "ladder with a filter nothing matches: exit 2, says so")


two_hosts()
lst, clients, servers, client_ports = known_sockets()
tap.run([usage_errors, check_ss, check_kill, check_stats,
         check_monitor_and_ladder, check_fixture])
