// SPDX-License-Identifier: GPL-2.0
/*
 * vtcp run: run an unmodified program whose TCP sockets are vtcp sockets.
 *
 * One mechanism for every binary, dynamic, static or Go: a seccomp filter
 * that the program and all its descendants inherit hands each
 * socket(AF_INET or AF_INET6, SOCK_STREAM [| SOCK_NONBLOCK | SOCK_CLOEXEC],
 * 0 or IPPROTO_TCP) to this process, the supervisor, as a user
 * notification. Every other system call, and every other socket(), is
 * decided by the filter alone and never leaves the kernel. The supervisor
 * makes the vtcp socket in the caller's network namespace and installs it
 * in the caller's file table as the system call's result, in one step
 * (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SEND, Linux 5.14).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cli.h"

#if defined(__x86_64__)
#define NATIVE_ARCH	AUDIT_ARCH_X86_64
#define X32_SOCKET_NR	(__X32_SYSCALL_BIT + 41)
#define I386_SOCKET_NR	359	/* socketcall(2) is not trapped: vtcp.8 */
#elif defined(__aarch64__)
#define NATIVE_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH	AUDIT_ARCH_RISCV64
#else
#error "vtcp run: add this architecture's AUDIT_ARCH_ value"
#endif

#define MODULE_PROTO_PATH	"/sys/module/vtcp/parameters/proto"
#define ARG_LO(n)	offsetof(struct seccomp_data, args[n])

struct supervisor {
	int listener;		/* the filter's notification fd */
	int proto;
	bool verbose;
	dev_t netns_dev;	/* the network namespace we are in */
	ino_t netns_ino;
	unsigned long made, failed;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
};

static pid_t child_pid;
static int listener_fd = -1;

static void run_usage(FILE *f)
{
	fprintf(f, "usage: vtcp run [-P PROTO] [-v] [--] CMD [ARGS...]\n"
		   "  run CMD with each of its TCP sockets (and its children's)\n"
		   "  made a vtcp socket: socket(AF_INET or AF_INET6,\n"
		   "  SOCK_STREAM, 0 or IPPROTO_TCP)\n"
		   "  -P, --proto PROTO  vtcp's protocol number (default: the\n"
		   "                     loaded module's proto=)\n"
		   "  -v, --verbose      say on stderr which sockets were made\n");
}

/*
 * The filter: the system call's architecture and number, then its three
 * int arguments (the low 32 bits of each: socket(2) takes ints). Jumps
 * are written as the instruction they go to, by its index.
 */
#define LOAD(field)	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (field))
#define JEQ(at, k, t, f) \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t) - (at) - 1, (f) - (at) - 1)
#define RET(v)		BPF_STMT(BPF_RET | BPF_K, (v))
#ifndef I386_SOCKET_NR
#define I386_SOCKET_NR	(-1)	/* never matches */
#define AUDIT_ARCH_NONE	0xffffffff
#else
#define AUDIT_ARCH_NONE	AUDIT_ARCH_I386
#endif
#ifndef X32_SOCKET_NR
#define X32_SOCKET_NR	__NR_socket
#endif

enum { NATIVE = 3, I386 = 6, ARGS = 8, ALLOW = 17, NOTIFY = 18 };

static struct sock_filter socket_filter[] = {
	LOAD(offsetof(struct seccomp_data, arch)),
	JEQ(1, AUDIT_ARCH_NONE, I386, 2),
	JEQ(2, NATIVE_ARCH, NATIVE, ALLOW),
	/* NATIVE: */ LOAD(offsetof(struct seccomp_data, nr)),
	JEQ(4, __NR_socket, ARGS, 5),
	JEQ(5, X32_SOCKET_NR, ARGS, ALLOW),
	/* I386: */ LOAD(offsetof(struct seccomp_data, nr)),
	JEQ(7, I386_SOCKET_NR, ARGS, ALLOW),
	/* ARGS: */ LOAD(ARG_LO(0)),
	JEQ(9, AF_INET, 11, 10),
	JEQ(10, AF_INET6, 11, ALLOW),
	LOAD(ARG_LO(1)),
	BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~(SOCK_NONBLOCK | SOCK_CLOEXEC)),
	JEQ(13, SOCK_STREAM, 14, ALLOW),
	LOAD(ARG_LO(2)),
	JEQ(15, 0, NOTIFY, 16),
	JEQ(16, IPPROTO_TCP, NOTIFY, ALLOW),
	/* ALLOW: */ RET(SECCOMP_RET_ALLOW),
	/* NOTIFY: */ RET(SECCOMP_RET_USER_NOTIF),
};

_Static_assert(ARRAY_SIZE(socket_filter) == NOTIFY + 1, "jump targets");

/*
 * Installs the filter on this process, and returns its notification fd.
 * Without CAP_SYS_ADMIN, the kernel wants no_new_privs first, which
 * setuid programs then lose their privileges under.
 */
static int install_filter(void)
{
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(socket_filter),
		.filter = socket_filter,
	};
	/* Not a sandbox: no speculative store bypass mitigation forced. */
	unsigned int flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
			     SECCOMP_FILTER_FLAG_SPEC_ALLOW;
	int fd;

	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (fd < 0 && errno == EACCES) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			return -1;
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags,
			     &prog);
	}
	return fd;
}

/* Sends @fd over @sock, or the errno @err when @fd < 0. */
static void send_listener(int sock, int fd, int err)
{
	char cbuf[CMSG_SPACE(sizeof(int))] __aligned(8) = { 0 };
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;

	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(sock, &msg, 0) < 0)
		_exit(127);
}

/* The listener @sock brings, or -1 with errno the child's. */
static int receive_listener(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] __aligned(8);
	int err = EPIPE, fd = -1;
	struct iovec iov = { .iov_base = &err, .iov_len = sizeof(err) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) {
		errno = EPIPE;	/* the child died before it could say */
		return -1;
	}
	cm = CMSG_FIRSTHDR(&msg);
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	if (fd < 0)
		errno = err;
	return fd;
}

/* The child: the filter, then CMD. Never returns. */
static void run_child(int sock, char **argv)
{
	int fd = install_filter();

	send_listener(sock, fd, errno);
	if (fd < 0)
		_exit(127);
	close(fd);
	close(sock);
	execvp(argv[0], argv);
	fprintf(stderr, "vtcp run: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* The module's proto= parameter; 0 if unknown, -1 if not loaded. */
static int module_proto(void)
{
	struct stat st;
	uint64_t v;
	char buf[16];
	FILE *f;

	f = fopen(MODULE_PROTO_PATH, "r");
	if (!f) {
		/* Without sysfs, the probe socket decides alone. */
		if (stat("/sys/module", &st))
			return 0;
		return stat("/sys/module/vtcp", &st) ? -1 : 0;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return parse_u64(buf, 254, &v) ? (int)v : 0;
}

/*
 * Whether a vtcp socket can be made on @proto: one is, and it must answer
 * VTCP_INFO at SOL_VTCP, which only vtcp does. Says why not.
 */
static bool vtcp_is_there(int proto)
{
	struct vtcp_info info;
	socklen_t len = sizeof(info);
	int fd, err;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		error_exit("run: cannot make a socket of protocol %d (%s): %s",
			   proto, strerror(errno), "is the vtcp module loaded?");
		return false;
	}
	err = getsockopt(fd, SOL_VTCP, VTCP_INFO, &info, &len);
	close(fd);
	if (err) {
		error_exit("run: protocol %d is not vtcp's", proto);
		return false;
	}
	return true;
}

/* The protocol to run on: -P's, else the module's. 0 when there is none. */
static int pick_proto(int given)
{
	int mod = module_proto();

	if (mod < 0) {
		error_exit("run: the vtcp module is not loaded (modprobe vtcp)");
		return 0;
	}
	if (given && mod && given != mod) {
		error_exit("run: protocol %d is not vtcp's: the module runs on %d",
			   given, mod);
		return 0;
	}
	if (!given)
		given = mod ? mod : IPPROTO_VTCP;
	return vtcp_is_there(given) ? given : 0;
}

static bool same_netns(const struct supervisor *s, const struct stat *st)
{
	return st->st_dev == s->netns_dev && st->st_ino == s->netns_ino;
}

static bool notif_valid(const struct supervisor *s, uint64_t id)
{
	return !ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id);
}

static int enter_netns(struct supervisor *s, int fd, const struct stat *st)
{
	if (setns(fd, CLONE_NEWNET))
		return errno;
	s->netns_dev = st->st_dev;
	s->netns_ino = st->st_ino;
	return 0;
}

/*
 * Moves the supervisor into the network namespace of the task waiting in
 * @req, if it is not there already. 0 or an errno.
 */
static int enter_netns_of(struct supervisor *s,
			  const struct seccomp_notif *req)
{
	char path[64];
	struct stat st;
	int fd, err = 0;

	snprintf(path, sizeof(path), "/proc/%u/ns/net", req->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		/* Gone, or not in our /proc: the call must not hang. */
		if (!notif_valid(s, req->id))
			return ENOENT;
		return err == ENOENT ? ESRCH : err;
	}
	/* The pid was still the waiting task's when it was opened. */
	if (!notif_valid(s, req->id))
		err = ENOENT;
	else if (fstat(fd, &st))
		err = errno;
	else if (!same_netns(s, &st))
		err = enter_netns(s, fd, &st);
	close(fd);
	return err;
}

/* The vtcp socket that replaces @req's socket(), or -errno. */
static int vtcp_socket_for(struct supervisor *s,
			   const struct seccomp_notif *req)
{
	int domain = req->data.args[0];
	int type = req->data.args[1];
	int fd, err;

	err = enter_netns_of(s, req);
	if (err)
		return -err;
	fd = socket(domain, SOCK_STREAM | SOCK_CLOEXEC | (type & SOCK_NONBLOCK),
		    s->proto);
	return fd < 0 ? -errno : fd;
}

static void type_string(int type, char *buf, size_t len)
{
	snprintf(buf, len, "SOCK_STREAM%s%s",
		 type & SOCK_NONBLOCK ? "|SOCK_NONBLOCK" : "",
		 type & SOCK_CLOEXEC ? "|SOCK_CLOEXEC" : "");
}

/* What became of @req's socket(): its fd in the task, or -errno. */
static void report(const struct supervisor *s,
		   const struct seccomp_notif *req, int ret)
{
	char type[64];

	if (ret >= 0 && !s->verbose)
		return;
	type_string(req->data.args[1], type, sizeof(type));
	fprintf(stderr, "vtcp run: pid %u: socket(%s, %s, %d): ", req->pid,
		(int)req->data.args[0] == AF_INET ? "AF_INET" : "AF_INET6",
		type, (int)req->data.args[2]);
	if (ret >= 0)
		fprintf(stderr, "vtcp socket, fd %d\n", ret);
	else
		fprintf(stderr, "failed: cannot make a vtcp socket: %s\n",
			strerror(-ret));
}

/* Fails @req's system call with @err. */
static void fail_call(struct supervisor *s, uint64_t id, int err)
{
	memset(s->resp, 0, s->resp_size);
	s->resp->id = id;
	s->resp->error = -err;
	ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, s->resp);
}

/*
 * Puts @fd into the task of @req as its socket()'s result, with
 * SOCK_CLOEXEC if it asked for it: the task's fd, or -errno.
 */
static int hand_over(struct supervisor *s, const struct seccomp_notif *req,
		     int fd)
{
	struct seccomp_notif_addfd addfd = {
		.id = req->id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = fd,
		.newfd_flags = (int)req->data.args[1] & SOCK_CLOEXEC ?
			       O_CLOEXEC : 0,
	};
	int ret = ioctl(s->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);

	return ret < 0 ? -errno : ret;
}

/* Serves one trapped socket(). False when the listener is unusable. */
static bool serve_one(struct supervisor *s)
{
	struct seccomp_notif *req = s->req;
	int fd, ret;

	memset(req, 0, s->req_size);
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, req))
		return errno == EINTR || errno == ENOENT;
	fd = vtcp_socket_for(s, req);
	if (fd == -ENOENT)	/* the task is gone, or was interrupted */
		return true;
	ret = fd < 0 ? fd : hand_over(s, req, fd);
	if (fd >= 0)
		close(fd);
	if (ret == -ENOENT)
		return true;
	if (ret < 0)
		fail_call(s, req->id, -ret);
	if (ret < 0)
		s->failed++;
	else
		s->made++;
	report(s, req, ret);
	return true;
}

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

/* Ctrl-C reaches CMD from the terminal; the supervisor waits for it. */
static void supervisor_signals(void)
{
	struct sigaction sa = { .sa_handler = forward_signal };
	int sig[] = { SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };
	unsigned int i;

	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(sig); i++)
		sigaction(sig[i], &sa, NULL);
}

/* The exit status of a shell for a child's wait status. */
static int exit_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/*
 * CMD is gone, but tasks it left (daemons) may have the filter still:
 * then the supervisor forks, the parent to return CMD's status, the
 * child to serve them in a session of its own. True in that parent.
 */
static bool background(void)
{
	struct pollfd p = { .fd = -1, .events = POLLIN };
	pid_t pid;

	p.fd = listener_fd;
	if (poll(&p, 1, 0) == 1 && p.revents == POLLHUP)
		return false;
	fflush(NULL);
	pid = fork();
	if (pid)
		return pid > 0;
	setsid();
	/* Nobody to forward signals to: SIGTERM ends the supervisor. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	return false;
}

/*
 * Serves until no task has the filter any more (its listener hangs up);
 * once CMD itself is gone, in the background, so that `vtcp run` returns
 * CMD's status while daemons CMD left behind are still served. Returns
 * CMD's exit status in the foreground.
 */
static int supervise(struct supervisor *s, int pidfd)
{
	struct pollfd p[2] = {
		{ .fd = s->listener, .events = POLLIN },
		{ .fd = pidfd, .events = POLLIN },
	};
	int status = 0, code = -1;

	for (;;) {
		if (poll(p, code < 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return error_exit("run: poll: %s", strerror(errno));
		}
		if (p[0].revents & POLLIN) {
			if (!serve_one(s))
				return error_exit("run: seccomp listener: %s",
						  strerror(errno));
			continue;
		}
		if (p[0].revents & (POLLHUP | POLLERR)) {
			/* No task has the filter: CMD is gone too. */
			if (code < 0 && waitpid(child_pid, &status, 0) > 0)
				code = exit_code(status);
			break;
		}
		if (code < 0 && p[1].revents & POLLIN) {
			if (waitpid(child_pid, &status, 0) < 0)
				continue;
			code = exit_code(status);
			child_pid = 0;
			close(pidfd);
			if (background())
				_exit(code);
		}
	}
	if (s->verbose)
		fprintf(stderr, "vtcp run: %lu vtcp sockets made, %lu failed\n",
			s->made, s->failed);
	return code < 0 ? EXIT_ERROR : code;
}

/* Room for the kernel's notification structures, whatever their size. */
static int alloc_notif(struct supervisor *s)
{
	struct seccomp_notif_sizes sizes;

	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes))
		return -1;
	s->req_size = sizes.seccomp_notif > sizeof(*s->req) ?
		      sizes.seccomp_notif : sizeof(*s->req);
	s->resp_size = sizes.seccomp_notif_resp > sizeof(*s->resp) ?
		       sizes.seccomp_notif_resp : sizeof(*s->resp);
	s->req = calloc(1, s->req_size);
	s->resp = calloc(1, s->resp_size);
	return s->req && s->resp ? 0 : -1;
}

/* The namespace the supervisor starts in: that of `vtcp run` itself. */
static void note_netns(struct supervisor *s)
{
	struct stat st;

	if (!stat("/proc/self/ns/net", &st)) {
		s->netns_dev = st.st_dev;
		s->netns_ino = st.st_ino;
	}
}

/* seccomp() failed with errno: a kernel without it is named as such. */
static int cannot_trap(void)
{
	/* No seccomp(2) at all, or no SECCOMP_FILTER_FLAG_NEW_LISTENER */
	bool none = errno == ENOSYS || errno == EINVAL;

	return error_exit("run: cannot trap socket(): %s%s", strerror(errno),
			  none ? " (no seccomp user notification here)" : "");
}

/* Forks CMD under the filter; the supervisor gets its listener. */
static int start(struct supervisor *s, char **argv, int *pidfd)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return error_exit("run: socketpair: %s", strerror(errno));
	fflush(NULL);
	child_pid = fork();
	if (child_pid < 0)
		return error_exit("run: fork: %s", strerror(errno));
	if (!child_pid) {
		close(sv[0]);
		run_child(sv[1], argv);
	}
	supervisor_signals();
	close(sv[1]);
	s->listener = receive_listener(sv[0]);
	close(sv[0]);
	listener_fd = s->listener;
	*pidfd = syscall(SYS_pidfd_open, child_pid, 0);
	if (s->listener >= 0 && *pidfd >= 0)
		return 0;
	cannot_trap();
	kill(child_pid, SIGKILL);
	waitpid(child_pid, NULL, 0);
	return EXIT_ERROR;
}

static int run_options(int argc, char **argv, struct supervisor *s)
{
	static const struct option opts[] = {
		{ "proto", required_argument, NULL, 'P' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "+P:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			if (!parse_u64(optarg, 254, &v) || !v)
				return usage_error(run_usage,
						   "bad protocol number \"%s\"",
						   optarg);
			s->proto = v;
			break;
		case 'v':
			s->verbose = true;
			break;
		case 'h':
			run_usage(stdout);
			exit(0);
		default:
			return bad_option(run_usage);
		}
	}
	if (optind >= argc)
		return usage_error(run_usage, "run: no command given");
	return 0;
}

/**
 * do_run() - vtcp run [-P PROTO] [-v] [--] CMD [ARGS...]
 * @argc: the argument count, "run" included
 * @argv: the arguments
 *
 * Return: CMD's exit status (128 + the signal that killed it), 1 for bad
 * usage, 2 when vtcp is not there or CMD could not be put under the filter.
 */
int do_run(int argc, char **argv)
{
	struct supervisor s = { .listener = -1 };
	int err, pidfd = -1;

	s.proto = vtcp_proto_given ? vtcp_proto : 0;
	err = run_options(argc, argv, &s);
	if (err)
		return err;
	s.proto = pick_proto(s.proto);
	if (!s.proto)
		return EXIT_ERROR;
	if (alloc_notif(&s))
		return cannot_trap();
	note_netns(&s);
	err = start(&s, argv + optind, &pidfd);
	if (err)
		return err;
	return supervise(&s, pidfd);
}
