// SPDX-License-Identifier: GPL-2.0
/*
 * One event of the "events" group: from its netlink attributes, to a line
 * of text or JSON, and back from such a JSON line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <linux/genetlink.h>

#include "cli.h"

/* Where each attribute goes; @key: its name in monitor -j, if a number. */
struct ev_field {
	unsigned int attr;
	const char *key;
	size_t offset, size;
};

#define EV_FIELD(attr, name, member) { attr, name, \
	offsetof(struct vtcp_event, member), \
	sizeof(((struct vtcp_event *)0)->member) }

static const struct ev_field ev_fields[] = {
	EV_FIELD(VTCP_A_EV_TYPE, NULL, type),
	EV_FIELD(VTCP_A_EV_TIME_NS, "time_ns", time_ns),
	EV_FIELD(VTCP_A_EV_COOKIE, "cookie", cookie),
	EV_FIELD(VTCP_A_EV_SPORT, "sport", sport),
	EV_FIELD(VTCP_A_EV_DPORT, "dport", dport),
	EV_FIELD(VTCP_A_EV_OLD_STATE, NULL, old_state),
	EV_FIELD(VTCP_A_EV_NEW_STATE, NULL, new_state),
	EV_FIELD(VTCP_A_EV_FSM_EVENT, NULL, fsm_event),
	EV_FIELD(VTCP_A_EV_TIMER, NULL, timer),
	EV_FIELD(VTCP_A_EV_RETRIES, "retries", retries),
	EV_FIELD(VTCP_A_EV_SEQ, "seq", seq),
	EV_FIELD(VTCP_A_EV_ACK, "ack", ack),
	EV_FIELD(VTCP_A_EV_FLAGS, NULL, flags),
	EV_FIELD(VTCP_A_EV_LEN, "len", len),
	EV_FIELD(VTCP_A_EV_WIN, "win", win),
	EV_FIELD(VTCP_A_EV_MTU, "mtu", mtu),
	EV_FIELD(VTCP_A_EV_MSS, "mss", mss),
};

/* A number of @size bytes, in host order, from unaligned @p. */
static uint64_t load(const void *p, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 1:
		memcpy(&u8, p, size);
		return u8;
	case 2:
		memcpy(&u16, p, size);
		return u16;
	case 4:
		memcpy(&u32, p, size);
		return u32;
	}
	memcpy(&u64, p, sizeof(u64));
	return u64;
}

static void store(struct vtcp_event *ev, const struct ev_field *f, uint64_t v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;
	const void *src = f->size == 1 ? (void *)&u8 : f->size == 2 ?
			  (void *)&u16 : f->size == 4 ? (void *)&u32 : &v;

	memcpy((char *)ev + f->offset, src, f->size);
}

/* SADDR and DADDR (be32), or SADDR6 and DADDR6 (in6_addr). */
static int addr_attr(struct vtcp_event *ev, const struct nlattr *attr)
{
	unsigned int type = mnl_attr_get_type(attr);
	bool v6 = type == VTCP_A_EV_SADDR6 || type == VTCP_A_EV_DADDR6;
	struct in6_addr *a = type == VTCP_A_EV_SADDR ||
			     type == VTCP_A_EV_SADDR6 ? &ev->saddr : &ev->daddr;

	if (mnl_attr_get_payload_len(attr) < (v6 ? sizeof(*a) : 4)) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (v6) {
		memcpy(a, mnl_attr_get_payload(attr), sizeof(*a));
		ev->family = AF_INET6;
	} else {
		addr_from_v4(a, mnl_attr_get_payload(attr));
	}
	return MNL_CB_OK;
}

static int event_attr_cb(const struct nlattr *attr, void *data)
{
	unsigned int type = mnl_attr_get_type(attr);
	const struct ev_field *f = ev_fields;
	uint64_t v;

	switch (type) {
	case VTCP_A_EV_SADDR: case VTCP_A_EV_DADDR:
	case VTCP_A_EV_SADDR6: case VTCP_A_EV_DADDR6:
		return addr_attr(data, attr);
	}
	/* Unknown (newer) attributes are skipped, short ones refused. */
	while (f < ev_fields + ARRAY_SIZE(ev_fields) && f->attr != type)
		f++;
	if (f == ev_fields + ARRAY_SIZE(ev_fields))
		return MNL_CB_OK;
	if (mnl_attr_get_payload_len(attr) < f->size) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	v = load(mnl_attr_get_payload(attr), f->size);
	if (type == VTCP_A_EV_SPORT || type == VTCP_A_EV_DPORT)
		v = ntohs(v);
	store(data, f, v);
	return MNL_CB_OK;
}

/* An event with nothing in it yet: IPv4, 0.0.0.0 both ends. */
static void event_init(struct vtcp_event *ev)
{
	static const uint32_t any;

	memset(ev, 0, sizeof(*ev));
	ev->fsm_event = VTCP_EV_NONE;
	ev->family = AF_INET;
	addr_from_v4(&ev->saddr, &any);
	addr_from_v4(&ev->daddr, &any);
}

/* 0, or -EBADMSG for a message that is no event. */
int event_from_netlink(const struct nlmsghdr *nlh, struct vtcp_event *ev)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);

	event_init(ev);
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)) ||
	    g->cmd != VTCP_CMD_EVENT)
		return -EBADMSG;
	if (mnl_attr_parse(nlh, sizeof(*g), event_attr_cb, ev) < 0 ||
	    !ev->type)
		return -EBADMSG;
	return 0;
}

static const char *const type_names[] = {
	[VTCP_EVT_STATE] = "state", [VTCP_EVT_TIMER] = "timer",
	[VTCP_EVT_SEG_OUT] = "out", [VTCP_EVT_SEG_IN] = "in",
	[VTCP_EVT_PMTU] = "pmtu",
};

static const char *type_name(int type)
{
	if (type >= VTCP_EVT_STATE && type <= VTCP_EVT_PMTU)
		return type_names[type];
	return "unknown";
}

static void print_json(const struct vtcp_event *ev)
{
	char a[INET6_ADDRSTRLEN], flags[48];

	json_begin(NULL);
	json_u64("time_ns", ev->time_ns);
	json_str("type", type_name(ev->type));
	json_str("src", addr_string(ev->family, &ev->saddr, a, sizeof(a)));
	json_u64("sport", ev->sport);
	json_str("dst", addr_string(ev->family, &ev->daddr, a, sizeof(a)));
	json_u64("dport", ev->dport);
	json_u64("cookie", ev->cookie);
	switch (ev->type) {
	case VTCP_EVT_STATE:
		json_str("old", state_name(ev->old_state));
		json_str("new", state_name(ev->new_state));
		json_str("event", fsm_event_name(ev->fsm_event));
		break;
	case VTCP_EVT_TIMER:
		json_str("timer", timer_name(ev->timer));
		json_u64("retries", ev->retries);
		break;
	case VTCP_EVT_SEG_OUT:
	case VTCP_EVT_SEG_IN:
		flags_words(ev->flags, flags, sizeof(flags));
		json_str("flags", flags);
		json_u64("seq", ev->seq);
		json_u64("ack", ev->ack);
		json_u64("len", ev->len);
		json_u64("win", ev->win);
		break;
	case VTCP_EVT_PMTU:
		json_u64("mtu", ev->mtu);
		json_u64("mss", ev->mss);
		break;
	}
	json_end();
}

static void print_time(uint64_t ns)
{
	time_t secs = ns / 1000000000;
	struct tm tm;
	char buf[16];

	localtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	printf("%s.%06u", buf, (unsigned int)(ns % 1000000000 / 1000));
}

static void print_text(const struct vtcp_event *ev)
{
	char a[ENDPOINT_LEN], b[ENDPOINT_LEN], flags[16];

	endpoint_string(a, sizeof(a), ev->family, &ev->saddr, ev->sport);
	endpoint_string(b, sizeof(b), ev->family, &ev->daddr, ev->dport);
	print_time(ev->time_ns);
	printf(" %s %s sk:%llx ", a, b, (unsigned long long)ev->cookie);
	switch (ev->type) {
	case VTCP_EVT_STATE:
		printf("state %s -> %s", state_name(ev->old_state),
		       state_name(ev->new_state));
		if (ev->fsm_event != VTCP_EV_NONE)
			printf(" on %s", fsm_event_name(ev->fsm_event));
		printf("\n");
		break;
	case VTCP_EVT_TIMER:
		printf("timer %s fired, retries %u\n", timer_name(ev->timer),
		       ev->retries);
		break;
	case VTCP_EVT_SEG_OUT:
	case VTCP_EVT_SEG_IN:
		flags_letters(ev->flags, flags, sizeof(flags));
		printf("%s [%s] seq %u ack %u len %u win %u\n",
		       type_name(ev->type), flags, ev->seq, ev->ack, ev->len,
		       ev->win);
		break;
	case VTCP_EVT_PMTU:
		printf("pmtu %u mss %u\n", ev->mtu, ev->mss);
		break;
	default:
		printf("event of unknown type %u\n", ev->type);
	}
}

void event_print(const struct vtcp_event *ev, bool json)
{
	if (json)
		print_json(ev);
	else
		print_text(ev);
}

/* Reading a monitor -j line back. */
static int number_field(struct vtcp_event *ev, const char *key,
			const char *val)
{
	const struct ev_field *f;
	uint64_t v;

	for (f = ev_fields; f < ev_fields + ARRAY_SIZE(ev_fields); f++) {
		if (!f->key || strcmp(key, f->key))
			continue;
		if (!parse_u64(val, f->size == 8 ? UINT64_MAX :
			       (1ULL << (8 * f->size)) - 1, &v))
			return -EINVAL;
		store(ev, f, v);
	}
	return 0;
}

static int event_type_number(const char *name)
{
	int t;

	for (t = VTCP_EVT_STATE; t <= VTCP_EVT_PMTU; t++)
		if (!strcmp(name, type_names[t]))
			return t;
	return -1;
}

/* "src" or "dst": an IPv6 address at either end makes the event IPv6. */
static int addr_field(struct vtcp_event *ev, const char *key, const char *val)
{
	int family;

	if (addr_parse(val, &family, key[0] == 's' ? &ev->saddr : &ev->daddr))
		return -EINVAL;
	if (family == AF_INET6)
		ev->family = AF_INET6;
	return 0;
}

static int name_field(struct vtcp_event *ev, const char *key, const char *val)
{
	const struct { const char *key; uint8_t *field;
		       int (*number)(const char *name); } names[] = {
		{ "type", &ev->type, event_type_number },
		{ "old", &ev->old_state, state_number },
		{ "new", &ev->new_state, state_number },
		{ "event", &ev->fsm_event, fsm_event_number },
		{ "timer", &ev->timer, timer_number },
		{ "flags", &ev->flags, flags_number },
	};
	unsigned int i;
	int n;

	if (!strcmp(key, "src") || !strcmp(key, "dst"))
		return addr_field(ev, key, val);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(key, names[i].key))
			continue;
		n = names[i].number(val);
		if (n < 0 || n > 255)
			return -EINVAL;
		*names[i].field = n;
	}
	return 0;
}

static int json_field_cb(void *ctx, const char *key, const char *val,
			 bool is_string)
{
	return is_string ? name_field(ctx, key, val) :
			   number_field(ctx, key, val);
}

/* 0, or -EINVAL for a line that is not an event of monitor -j. */
int event_from_json(const char *line, struct vtcp_event *ev)
{
	event_init(ev);
	if (json_read_object(line, json_field_cb, ev) || !ev->type)
		return -EINVAL;
	return 0;
}
