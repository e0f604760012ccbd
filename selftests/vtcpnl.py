# SPDX-License-Identifier: GPL-2.0
"""Raw netlink for the selftests, with socket and struct only: sock_diag
requests for vtcp (inet_diag_req_v2, bytecode filters, SOCK_DESTROY) and
the generic netlink family "vtcp" (counters, events).

Every request asks for extended ACKs, so errors come back as NlError with
the kernel's errno and its extack message.
"""
import ctypes
import errno
import os
import pickle
import socket
import struct

from vtcplib import AF, PROTO

NETLINK_SOCK_DIAG, NETLINK_GENERIC = 4, 16
SOL_NETLINK = 270
NETLINK_ADD_MEMBERSHIP, NETLINK_EXT_ACK = 1, 11
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_ACK, NLM_F_DUMP = 1, 2, 4, 0x300
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLMSGERR_ATTR_MSG = 1
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3FFF

SOCK_DIAG_BY_FAMILY, SOCK_DESTROY = 20, 21
INET_DIAG_REQ_BYTECODE = 1
INET_DIAG_MEMINFO, INET_DIAG_INFO, INET_DIAG_SHUTDOWN = 1, 2, 8
INET_DIAG_SKMEMINFO = 7
INET_DIAG_NOCOOKIE = 0xFFFFFFFFFFFFFFFF
# inet_diag_bc_op codes
BC_S_GE, BC_S_LE, BC_D_GE, BC_D_LE, BC_S_EQ, BC_D_EQ = 2, 3, 4, 5, 11, 12

# TCP's state numbers, which vtcp uses
(ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE,
 CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING, NEW_SYN_RECV) = range(1, 13)
STATE_NAMES = {1: "ESTABLISHED", 2: "SYN-SENT", 3: "SYN-RECEIVED",
               4: "FIN-WAIT-1", 5: "FIN-WAIT-2", 6: "TIME-WAIT", 7: "CLOSED",
               8: "CLOSE-WAIT", 9: "LAST-ACK", 10: "LISTEN", 11: "CLOSING"}
ALL_STATES = 0xFFFFFFFF

# include/uapi/linux/vtcp.h
CMD_GET_STATS, CMD_EVENT = 1, 2
(A_STATS, A_STAT, A_STAT_NAME, A_STAT_VALUE, A_STATS_RESET, A_EV_TYPE,
 A_EV_TIME_NS, A_EV_COOKIE, A_EV_SADDR, A_EV_DADDR, A_EV_SPORT, A_EV_DPORT,
 A_EV_OLD_STATE, A_EV_NEW_STATE, A_EV_FSM_EVENT, A_EV_TIMER, A_EV_RETRIES,
 A_EV_SEQ, A_EV_ACK, A_EV_FLAGS, A_EV_LEN, A_EV_WIN, A_PAD) = range(1, 24)
A_EV_MTU, A_EV_MSS, A_EV_SADDR6, A_EV_DADDR6 = range(24, 28)
EVT_STATE, EVT_TIMER, EVT_SEG_OUT, EVT_SEG_IN = 1, 2, 3, 4
FSM_EVENTS = ["CONNECT", "LISTEN", "CLOSE", "ABORT", "SYN", "SYNACK",
              "ACK_OF_SYN", "ACK_OF_FIN", "FIN", "RST", "TIMEOUT", "2MSL",
              "FW2_TIMEOUT", "NEW_SYN", "ICMP_ERROR", "BARE_ACK",
              "OPEN_FAILED", "DISCONNECT", "KEEPALIVE_TIMEOUT"]
TIMER_KINDS = ["NONE", "SYN", "FIN", "RETRANS", "PROBE", "DELACK",
               "KEEPALIVE", "FIN_WAIT2", "TIME_WAIT"]

# struct vtcp_info, up to and including soft_error
VTCP_INFO_FMT = "=8BI 6I 10I 4x 6Q 2I 16s 4I"
VTCP_INFO_FIELDS = (
    "state options snd_wscale rcv_wscale timer retransmits backoff probes "
    "timer_expires_ms rto_us rtt_us rttvar_us min_rtt_us snd_mss rcv_mss "
    "snd_cwnd snd_ssthresh snd_una snd_nxt rcv_nxt snd_wnd rcv_wnd unacked "
    "sacked lost bytes_sent bytes_acked bytes_received bytes_retrans segs_in "
    "segs_out retrans_segs fast_retrans congestion pmtu mtu_probe_low "
    "mtu_probe_high soft_error").split()


class NlError(OSError):
    """A netlink error reply: errno plus the extack message, if any."""

    def __init__(self, err, msg=""):
        super().__init__(err, os.strerror(err) + (": " + msg if msg else ""))
        self.extack = msg


def attrs(data):
    """[(type, payload)] of a run of netlink attributes."""
    out, off = [], 0
    while off + 4 <= len(data):
        ln, typ = struct.unpack_from("=HH", data, off)
        if ln < 4 or off + ln > len(data):
            break
        out.append((typ & NLA_TYPE_MASK, data[off + 4:off + ln]))
        off += (ln + 3) & ~3
    return out


def attr(typ, payload=b"", nested=False):
    ln = 4 + len(payload)
    return struct.pack("=HH", ln, typ | (NLA_F_NESTED if nested else 0)) + \
        payload + b"\0" * (-ln % 4)


class Netlink:
    """One netlink socket of @proto in the current network namespace."""

    def __init__(self, proto, rcvbuf=None):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, proto)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.bind((0, 0))
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.settimeout(10)
        self.seq = 1000

    def close(self):
        self.sock.close()

    def send(self, typ, flags, payload, seq=None):
        if seq is None:
            self.seq += 1
            seq = self.seq
        self.send_raw(struct.pack("=IHHII", 16 + len(payload), typ, flags,
                                  seq, 0) + payload)
        return seq

    def send_raw(self, data):
        self.sock.sendto(data, (0, 0))

    def messages(self):
        """The messages of one datagram: [(type, flags, seq, payload)]."""
        data = self.sock.recv(1 << 20)
        out, off = [], 0
        while off + 16 <= len(data):
            ln, typ, flags, seq, _ = struct.unpack_from("=IHHII", data, off)
            if ln < 16 or off + ln > len(data):
                break
            out.append((typ, flags, seq, data[off + 16:off + ln]))
            off += (ln + 3) & ~3
        return out

    @staticmethod
    def check_error(flags, payload):
        """Raise NlError for an NLMSG_ERROR with an error; True if an ACK."""
        err = struct.unpack_from("=i", payload)[0]
        msg = ""
        if flags & NLM_F_ACK_TLVS:
            inner = struct.unpack_from("=I", payload, 4)[0]
            off = 4 + (16 if flags & NLM_F_CAPPED else (inner + 3) & ~3)
            for typ, val in attrs(payload[off:]):
                if typ == NLMSGERR_ATTR_MSG:
                    msg = val.rstrip(b"\0").decode(errors="replace")
        if err:
            raise NlError(-err, msg)
        return True

    def replies(self, seq, on_batch=None):
        """Payloads answering @seq until DONE, the ACK or a lone reply.
        @on_batch(n) runs after each datagram, n payloads so far."""
        out = []
        while True:
            batch = self.messages()
            for typ, flags, mseq, payload in batch:
                if mseq != seq:
                    continue
                if typ == NLMSG_ERROR:
                    self.check_error(flags, payload)
                    return out
                if typ == NLMSG_DONE:
                    return out
                out.append(payload)
                if not flags & NLM_F_MULTI:
                    return out
            if on_batch:
                on_batch(len(out))

    def request(self, typ, flags, payload, on_batch=None):
        return self.replies(self.send(typ, flags | NLM_F_REQUEST, payload),
                            on_batch)


# ---------------------------------------------------------------- sock_diag

def packed_addr(a):
    """16 bytes of inet_diag_sockid: an IPv6 address, or IPv4's first."""
    if ":" in a:
        return socket.inet_pton(socket.AF_INET6, a)
    return socket.inet_aton(a) + b"\0" * 12


def sockid(sport=0, dport=0, src="0.0.0.0", dst="0.0.0.0", cookie=None):
    """struct inet_diag_sockid (ports in host order; IPv4 or IPv6)."""
    if cookie is None:
        cookie = INET_DIAG_NOCOOKIE
    return struct.pack("!HH", sport, dport) + packed_addr(src) + \
        packed_addr(dst) + \
        struct.pack("=III", 0, cookie & 0xFFFFFFFF, cookie >> 32)


def diag_req(states=ALL_STATES, ext=0, family=socket.AF_INET, proto=PROTO,
             sid=None):
    """struct inet_diag_req_v2."""
    return struct.pack("=BBBBI", family, proto, ext, 0, states) + \
        (sid if sid is not None else sockid())


def bc_port(code, port):
    """Bytecode: accept when the port comparison @code holds for @port."""
    return struct.pack("=BBH", code, 8, 12) + struct.pack("=BBH", 0, 0, port)


class DiagSock:
    """One socket of a sock_diag reply."""

    def __init__(self, payload):
        (self.family, self.state, self.timer, self.retrans, sport, dport) = \
            struct.unpack_from("=BBBB", payload) + \
            struct.unpack_from("!HH", payload, 4)
        self.sport, self.dport = sport, dport
        if self.family == socket.AF_INET6:
            self.src = socket.inet_ntop(socket.AF_INET6, payload[8:24])
            self.dst = socket.inet_ntop(socket.AF_INET6, payload[24:40])
        else:
            self.src = socket.inet_ntoa(payload[8:12])
            self.dst = socket.inet_ntoa(payload[24:28])
        ifx, lo, hi = struct.unpack_from("=III", payload, 40)
        self.cookie = lo | hi << 32
        (self.expires, self.rqueue, self.wqueue, self.uid,
         self.inode) = struct.unpack_from("=IIIII", payload, 52)
        self.attrs = dict(attrs(payload[72:]))
        self.info = None
        raw = self.attrs.get(INET_DIAG_INFO)
        if raw is not None:
            self.info = vtcp_info(raw)

    @property
    def tuple(self):
        return (self.src, self.sport, self.dst, self.dport)

    def __repr__(self):
        return "%s %s:%d %s:%d cookie=%d timer=%d/%d/%dms" % (
            STATE_NAMES.get(self.state, self.state), self.src, self.sport,
            self.dst, self.dport, self.cookie, self.timer, self.retrans,
            self.expires)


def vtcp_info(raw):
    """struct vtcp_info as a dict (missing tail fields read as 0)."""
    size = struct.calcsize(VTCP_INFO_FMT)
    vals = struct.unpack(VTCP_INFO_FMT, raw[:size].ljust(size, b"\0"))
    d = dict(zip(VTCP_INFO_FIELDS, vals))
    d["congestion"] = d["congestion"].rstrip(b"\0").decode()
    return d


class Diag(Netlink):
    def __init__(self, rcvbuf=None):
        super().__init__(NETLINK_SOCK_DIAG, rcvbuf)

    def dump(self, states=ALL_STATES, ext=0, bytecode=None, sid=None,
             family=None, on_batch=None, proto=PROTO):
        """The sockets of @family (by default the run's, VTCP_FAMILY) and
        @proto (vtcp's by default; 6 is Linux TCP's)."""
        payload = diag_req(states, ext, AF if family is None else family,
                           proto, sid)
        if bytecode is not None:
            payload += attr(INET_DIAG_REQ_BYTECODE, bytecode)
        return [DiagSock(p) for p in
                self.request(SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, payload,
                             on_batch)]

    def lookup(self, d, cookie=None, ext=0):
        """The socket of DiagSock @d, by 4-tuple and @cookie (d's own)."""
        sid = sockid(d.sport, d.dport, d.src, d.dst,
                     d.cookie if cookie is None else cookie)
        family = getattr(d, "family", AF)
        got = self.request(SOCK_DIAG_BY_FAMILY, 0,
                           diag_req(ALL_STATES, ext, family, sid=sid))
        return [DiagSock(p) for p in got]

    def destroy(self, d):
        sid = sockid(d.sport, d.dport, d.src, d.dst, d.cookie)
        return self.request(SOCK_DESTROY, NLM_F_ACK,
                            diag_req(family=getattr(d, "family", AF),
                                     sid=sid))


# ---------------------------------------------------------------- genetlink

GENL_ID_CTRL, CTRL_CMD_GETFAMILY = 0x10, 3
CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_MCAST_GROUPS = 1, 2, 7
CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 1, 2


def genl_hdr(cmd, version=1):
    return struct.pack("=BBH", cmd, version, 0)


class Genl(Netlink):
    """The "vtcp" family, resolved in the current namespace."""

    def __init__(self, rcvbuf=None):
        super().__init__(NETLINK_GENERIC, rcvbuf)
        reply = self.request(GENL_ID_CTRL, 0, genl_hdr(CTRL_CMD_GETFAMILY) +
                             attr(CTRL_ATTR_FAMILY_NAME, b"vtcp\0"))
        a = dict(attrs(reply[0][4:]))
        self.family = struct.unpack("=H", a[CTRL_ATTR_FAMILY_ID])[0]
        self.groups = {}
        for _, grp in attrs(a.get(CTRL_ATTR_MCAST_GROUPS, b"")):
            g = dict(attrs(grp))
            self.groups[g[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                struct.unpack("=I", g[CTRL_ATTR_MCAST_GRP_ID])[0]

    def stats(self, reset=False):
        """{name: value} of the namespace's counters, in kernel order."""
        payload = genl_hdr(CMD_GET_STATS) + \
            (attr(A_STATS_RESET) if reset else b"")
        reply = self.request(self.family, 0, payload)
        out = {}
        for typ, nest in attrs(reply[0][4:]):
            if typ != A_STATS:
                continue
            for _, stat in attrs(nest):
                s = dict(attrs(stat))
                out[s[A_STAT_NAME].rstrip(b"\0").decode()] = \
                    struct.unpack("=Q", s[A_STAT_VALUE])[0]
        return out

    def subscribe(self, group="events"):
        self.sock.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
                             self.groups[group])

    def events(self, timeout=0.2):
        """Events received until @timeout passes without one."""
        out = []
        self.sock.settimeout(timeout)
        try:
            while True:
                for typ, _, _, payload in self.messages():
                    if typ == self.family:
                        out.append(Event(payload))
        except socket.timeout:
            pass
        finally:
            self.sock.settimeout(10)
        return out


class Event:
    """One VTCP_CMD_EVENT message."""

    U8 = (A_EV_TYPE, A_EV_OLD_STATE, A_EV_NEW_STATE, A_EV_FSM_EVENT,
          A_EV_TIMER, A_EV_RETRIES, A_EV_FLAGS)
    U32 = (A_EV_SEQ, A_EV_ACK, A_EV_LEN, A_EV_WIN)

    def __init__(self, payload):
        self.cmd = payload[0]
        self.raw = dict(attrs(payload[4:]))
        a = self.raw
        get = a.get
        self.type = get(A_EV_TYPE, b"\0")[0]
        self.time_ns = struct.unpack("=Q", get(A_EV_TIME_NS, bytes(8)))[0]
        self.cookie = struct.unpack("=Q", get(A_EV_COOKIE, bytes(8)))[0]
        if A_EV_SADDR6 in a:
            self.src = socket.inet_ntop(socket.AF_INET6, a[A_EV_SADDR6])
            self.dst = socket.inet_ntop(socket.AF_INET6, a[A_EV_DADDR6])
        else:
            self.src = socket.inet_ntoa(get(A_EV_SADDR, bytes(4)))
            self.dst = socket.inet_ntoa(get(A_EV_DADDR, bytes(4)))
        self.sport = struct.unpack("!H", get(A_EV_SPORT, bytes(2)))[0]
        self.dport = struct.unpack("!H", get(A_EV_DPORT, bytes(2)))[0]
        self.old = get(A_EV_OLD_STATE, b"\0")[0]
        self.new = get(A_EV_NEW_STATE, b"\0")[0]
        self.fsm = a[A_EV_FSM_EVENT][0] if A_EV_FSM_EVENT in a else None
        self.timer = get(A_EV_TIMER, b"\0")[0]
        self.retries = get(A_EV_RETRIES, b"\0")[0]
        self.flags = get(A_EV_FLAGS, b"\0")[0]
        self.seq, self.ack, self.len, self.win = (
            struct.unpack("=I", get(t, bytes(4)))[0] for t in self.U32)

    def short(self):
        """A compact, comparable description."""
        if self.type == EVT_STATE:
            fsm = FSM_EVENTS[self.fsm] if self.fsm is not None else "-"
            return "%s>%s:%s" % (STATE_NAMES.get(self.old, self.old),
                                 STATE_NAMES.get(self.new, self.new), fsm)
        if self.type == EVT_TIMER:
            return "timer:%s" % TIMER_KINDS[self.timer]
        names = "".join(n for b, n in ((2, "S"), (1, "F"), (4, "R"),
                                       (16, "."), (8, "P"))
                        if self.flags & b)
        return "%s[%s]" % ("out" if self.type == EVT_SEG_OUT else "in",
                           names)

    def __repr__(self):
        return "%s %s:%d>%s:%d cookie=%d" % (self.short(), self.src,
                                            self.sport, self.dst, self.dport,
                                            self.cookie)


def expect_errno(fn):
    """The errno (and extack) fn() fails with, or None."""
    try:
        fn()
    except NlError as e:
        return e.errno, e.extack
    except OSError as e:
        return e.errno, ""
    return None, ""


def drop_net_admin():
    """Drop CAP_NET_ADMIN (12) from this thread: for a forked child."""
    libc = ctypes.CDLL(None, use_errno=True)
    hdr = ctypes.create_string_buffer(struct.pack("=Ii", 0x20080522, 0))
    data = ctypes.create_string_buffer(24)
    if libc.syscall(125, hdr, data):		# capget
        return False
    caps = list(struct.unpack("=6I", data.raw))
    for i in range(3):
        caps[i] &= ~(1 << 12)
    new = ctypes.create_string_buffer(struct.pack("=6I", *caps))
    return libc.syscall(126, hdr, new) == 0	# capset


def unprivileged(fn):
    """fn() in a forked child without CAP_NET_ADMIN, in this network
    namespace: the errno it failed with, 0 if it worked, 255 if the
    capability could not be dropped."""
    pid = os.fork()
    if pid == 0:
        code = 255
        try:
            if drop_net_admin():
                code = expect_errno(fn)[0] or 0
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def unprivileged_value(fn):
    """fn()'s value, computed in a forked child without CAP_NET_ADMIN in
    this network namespace and pickled back; None if the capability could
    not be dropped or fn() raised."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        try:
            if drop_net_admin():
                with os.fdopen(wfd, "wb") as f:
                    pickle.dump(fn(), f)
        finally:
            os._exit(0)
    os.close(wfd)
    with os.fdopen(rfd, "rb") as f:
        data = f.read()
    os.waitpid(pid, 0)
    return pickle.loads(data) if data else None


__all__ = [n for n in dir() if not n.startswith("_")] + ["errno"]
