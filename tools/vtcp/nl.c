// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink with libmnl: one request and its replies, the kernel's error
 * with its extended ack message, and the generic netlink controller.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "cli.h"

static char ext_msg[256];

int nl_open(struct nl *nl, int bus)
{
	int one = 1;

	nl->buf = malloc(NL_BUF_SIZE);
	if (!nl->buf)
		return -ENOMEM;
	nl->sock = mnl_socket_open(bus);
	if (!nl->sock) {
		int err = -errno;

		free(nl->buf);
		return err;
	}
	/* Error messages from the kernel, without our request echoed. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		nl_close(nl);
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = time(NULL);
	return 0;
}

void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
	free(nl->buf);
	nl->buf = NULL;
}

struct nlmsghdr *nl_request(struct nl *nl, void *buf, uint16_t type,
			    uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

const char *nl_error_message(void)
{
	return ext_msg;
}

static int ext_attr_cb(const struct nlattr *attr, void *data)
{
	(void)data;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
		snprintf(ext_msg, sizeof(ext_msg), "%s",
			 mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* The extended ack attributes follow the error (and, uncapped, our request). */
static void read_ext_ack(const struct nlmsghdr *nlh, const struct nlmsgerr *e)
{
	unsigned int off = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
		mnl_attr_parse(nlh, off, ext_attr_cb, NULL);
}

static int error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	read_ext_ack(nlh, e);
	if (!e->error)
		return MNL_CB_STOP;
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

/* A dump ends with NLMSG_DONE, which carries the dump's error if any. */
static int done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err = 0;

	(void)data;
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int)))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		if (nlh->nlmsg_flags & NLM_F_ACK_TLVS &&
		    nlh->nlmsg_len > mnl_nlmsg_size(sizeof(int)))
			mnl_attr_parse(nlh, sizeof(int), ext_attr_cb, NULL);
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static mnl_cb_t ctl_cbs[NLMSG_MIN_TYPE] = {
	[NLMSG_NOOP] = noop_cb,
	[NLMSG_ERROR] = error_cb,
	[NLMSG_DONE] = done_cb,
	[NLMSG_OVERRUN] = noop_cb,
};

/*
 * Sends @req and hands each reply to @cb until the dump is done or the
 * kernel acks. Returns 0 or a negative errno; nl_error_message() has the
 * kernel's explanation, if it gave one.
 */
int nl_talk(struct nl *nl, const struct nlmsghdr *req, mnl_cb_t cb,
	    void *data)
{
	unsigned int seq = req->nlmsg_seq;
	int ret;

	ext_msg[0] = '\0';
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	do {
		ret = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUF_SIZE);
		if (ret < 0)
			return -errno;
		ret = mnl_cb_run2(nl->buf, ret, seq, nl->portid, cb, data,
				  ctl_cbs, NLMSG_MIN_TYPE);
	} while (ret == MNL_CB_OK);
	return ret == MNL_CB_ERROR ? -errno : 0;
}

/*
 * Waits up to @timeout_ms (-1: forever) for multicast messages and hands
 * them to @cb. Returns 1 when @cb asked to stop, 0 on timeout, or a
 * negative errno (-ENOBUFS: the socket overflowed, messages were lost).
 */
int nl_receive(struct nl *nl, int timeout_ms, mnl_cb_t cb, void *data)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(nl->sock),
			      .events = POLLIN };
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret <= 0)
		return ret < 0 && errno != EINTR ? -errno : 0;
	ret = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUF_SIZE);
	if (ret < 0)
		return -errno;
	ret = mnl_cb_run2(nl->buf, ret, 0, 0, cb, data, ctl_cbs,
			  NLMSG_MIN_TYPE);
	if (ret == MNL_CB_ERROR)
		return -errno;
	return ret == MNL_CB_STOP ? 1 : 0;
}

/* The controller's answer about a family: its id and one group's id. */
struct family {
	const char *group;
	uint16_t id;
	uint32_t group_id;
	bool have_group;
};

static int group_cb(const struct nlattr *grp, struct family *f)
{
	struct nlattr *a, *name = NULL, *id = NULL;

	mnl_attr_for_each_nested(a, grp) {
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_NAME &&
		    !mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
			name = a;
		if (mnl_attr_get_type(a) == CTRL_ATTR_MCAST_GRP_ID &&
		    !mnl_attr_validate(a, MNL_TYPE_U32))
			id = a;
	}
	if (name && id && f->group &&
	    !strcmp(mnl_attr_get_str(name), f->group)) {
		f->group_id = mnl_attr_get_u32(id);
		f->have_group = true;
	}
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct family *f = data;
	struct nlattr *grp;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (!mnl_attr_validate(attr, MNL_TYPE_U16))
			f->id = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		mnl_attr_for_each_nested(grp, attr)
			group_cb(grp, f);
		break;
	}
	return MNL_CB_OK;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      data);
}

/*
 * Resolves generic netlink family @name to its @id and, when @group is
 * not NULL, that multicast group to @group_id. -ENOENT: no such family
 * (the module is not loaded); -ESRCH: no such group.
 */
int nl_genl_family(struct nl *nl, const char *name, uint16_t *id,
		   const char *group, uint32_t *group_id)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __aligned(8);
	struct family f = { .group = group };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	int err;

	nlh = nl_request(nl, buf, GENL_ID_CTRL, NLM_F_ACK);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	err = nl_talk(nl, nlh, family_cb, &f);
	if (err)
		return err;
	if (!f.id)
		return -ENOENT;
	if (group && !f.have_group)
		return -ESRCH;
	*id = f.id;
	if (group)
		*group_id = f.group_id;
	return 0;
}

/* The message for a missing family: the module is not loaded. */
int no_family(void)
{
	return error_exit("no generic netlink family \"%s\": is the vtcp module loaded?",
			  VTCP_GENL_NAME);
}

/* Prints "vtcp: WHAT: strerror (kernel's message)"; returns EXIT_ERROR. */
int nl_fail(const char *what, int err)
{
	if (err < 0)
		err = -err;
	if (ext_msg[0])
		return error_exit("%s: %s (%s)", what, strerror(err), ext_msg);
	return error_exit("%s: %s", what, strerror(err));
}
