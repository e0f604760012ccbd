// SPDX-License-Identifier: GPL-2.0
/*
 * The socket layer: struct proto and proto_ops for SOCK_STREAM sockets.
 *
 * Binding, port allocation and naming are the kernel's inet code, driven
 * by our own hash tables; what vtcp adds is its own connection handling.
 */
#include <linux/net.h>
#include <linux/poll.h>
#include <net/inet_common.h>
#include <net/ip.h>
#include <net/sock.h>
#include <net/tcp_states.h>

#include "vtcp.h"
#include "wire.h"

static DEFINE_PER_CPU(unsigned int, vtcp_orphan_count);

static int vtcp_init_sock(struct sock *sk)
{
	return 0;
}

static void vtcp_destroy_sock(struct sock *sk)
{
	if (inet_csk(sk)->icsk_bind_hash)
		inet_put_port(sk);
}

static void vtcp_close(struct sock *sk, long timeout)
{
	sk_common_release(sk);
}

static int vtcp_connect(struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	return -EOPNOTSUPP;
}

static int vtcp_disconnect(struct sock *sk, int flags)
{
	return -EOPNOTSUPP;
}

static void vtcp_shutdown(struct sock *sk, int how)
{
}

static int vtcp_sendmsg(struct sock *sk, struct msghdr *msg, size_t len)
{
	return -ENOTCONN;
}

static int vtcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len,
			int flags, int *addr_len)
{
	return -ENOTCONN;
}

static int vtcp_setsockopt(struct sock *sk, int level, int optname,
			   sockptr_t optval, unsigned int optlen)
{
	if (level == SOL_IP)
		return ip_setsockopt(sk, level, optname, optval, optlen);
	return -ENOPROTOOPT;
}

static int vtcp_getsockopt(struct sock *sk, int level, int optname,
			   char __user *optval, int __user *optlen)
{
	if (level == SOL_IP)
		return ip_getsockopt(sk, level, optname, optval, optlen);
	return -ENOPROTOOPT;
}

static int vtcp_listen(struct socket *sock, int backlog)
{
	return -EOPNOTSUPP;
}

static __poll_t vtcp_poll(struct file *file, struct socket *sock,
			  poll_table *wait)
{
	struct sock *sk = sock->sk;

	sock_poll_wait(file, sock, wait);
	if (READ_ONCE(sk->sk_state) == TCP_CLOSE)
		return EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
	return 0;
}

struct proto vtcp_prot = {
	.name		= "VTCP",
	.owner		= THIS_MODULE,
	.init		= vtcp_init_sock,
	.destroy	= vtcp_destroy_sock,
	.close		= vtcp_close,
	.connect	= vtcp_connect,
	.disconnect	= vtcp_disconnect,
	.accept		= inet_csk_accept,
	.shutdown	= vtcp_shutdown,
	.setsockopt	= vtcp_setsockopt,
	.getsockopt	= vtcp_getsockopt,
	.sendmsg	= vtcp_sendmsg,
	.recvmsg	= vtcp_recvmsg,
	.hash		= inet_hash,
	.unhash		= inet_unhash,
	.get_port	= inet_csk_get_port,
	.orphan_count	= &vtcp_orphan_count,
	.max_header	= VTCP_MAX_HEADER,
	.obj_size	= sizeof(struct vtcp_sock),
	.slab_flags	= SLAB_TYPESAFE_BY_RCU,
	.no_autobind	= true,
	.h.hashinfo	= &vtcp_hashinfo,
};

const struct proto_ops vtcp_stream_ops = {
	.family		= PF_INET,
	.owner		= THIS_MODULE,
	.release	= inet_release,
	.bind		= inet_bind,
	.connect	= inet_stream_connect,
	.socketpair	= sock_no_socketpair,
	.accept		= inet_accept,
	.getname	= inet_getname,
	.poll		= vtcp_poll,
	.ioctl		= inet_ioctl,
	.gettstamp	= sock_gettstamp,
	.listen		= vtcp_listen,
	.shutdown	= inet_shutdown,
	.setsockopt	= sock_common_setsockopt,
	.getsockopt	= sock_common_getsockopt,
	.sendmsg	= inet_sendmsg,
	.recvmsg	= sock_common_recvmsg,
	.mmap		= sock_no_mmap,
};
