/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtcp(8): what the files of the command line tool share.
 */
#ifndef VTCP_CLI_H
#define VTCP_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>

#include <linux/vtcp.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define __aligned(n)	__attribute__((aligned(n)))
#define __printf(a, b)	__attribute__((format(printf, a, b)))

/* Exit codes, as iproute2's: 1 for bad usage, 2 when the kernel says no. */
#define EXIT_USAGE	1
#define EXIT_ERROR	2

/* TCP_NEW_SYN_RECV: request sockets, as the kernel numbers them. */
#define VTCP_NEW_SYN_RECV	12
#define VTCP_STATE_MAX		12
#define VTCP_ALL_STATES		(((1u << (VTCP_STATE_MAX + 1)) - 1) & ~1u)

/* A state change the table did not make has no fsm event: "none". */
#define VTCP_EV_NONE		255

/* main.c */
extern int vtcp_proto;
extern bool vtcp_proto_given;
__printf(2, 3)
int usage_error(void (*usage)(FILE *), const char *fmt, ...);
int bad_option(void (*usage)(FILE *));
__printf(1, 2) int error_exit(const char *fmt, ...);
bool parse_u64(const char *s, uint64_t max, uint64_t *v);
bool parse_seconds(const char *s, double *secs);
bool wants_help(int argc, char **argv);

/* names.c: states, events, timers and flags, as numbers and as words. */
const char *state_name(int state);
const char *ss_state_name(int state);
int state_number(const char *name);
const char *fsm_event_name(int ev);
int fsm_event_number(const char *name);
const char *timer_name(int kind);
int timer_number(const char *name);
void flags_words(uint8_t flags, char *buf, size_t len);
void flags_letters(uint8_t flags, char *buf, size_t len);
int flags_number(const char *words);
void ms_string(uint32_t ms, char *buf, size_t len);

/* addr.c: addresses of either family, IPv4 ones kept v4-mapped. */
void addr_from_v4(struct in6_addr *a, const void *be32);
bool addr_is_any(const struct in6_addr *a);
const char *addr_string(int family, const struct in6_addr *a, char *buf,
			size_t len);
void endpoint_string(char *buf, size_t len, int family,
		     const struct in6_addr *a, uint16_t port);
int addr_parse(const char *s, int *family, struct in6_addr *a);
bool endpoint_split(char *s, char **addr, char **port);
#define ENDPOINT_LEN	(INET6_ADDRSTRLEN + 8)	/* "[addr]:port" */

/* json.c: writing one object per line, and reading such lines back. */
void json_begin(const char *key);
void json_end(void);
void json_str(const char *key, const char *val);
void json_u64(const char *key, uint64_t val);
void json_bool(const char *key, bool val);
typedef int (*json_field_fn)(void *ctx, const char *key, const char *val,
			     bool is_string);
int json_read_object(const char *line, json_field_fn fn, void *ctx);

/* nl.c: netlink sockets, requests and errors. */
struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char *buf;		/* replies, NL_BUF_SIZE bytes */
};

int nl_open(struct nl *nl, int bus);
void nl_close(struct nl *nl);
struct nlmsghdr *nl_request(struct nl *nl, void *buf, uint16_t type,
			    uint16_t flags);
int nl_talk(struct nl *nl, const struct nlmsghdr *req, mnl_cb_t cb,
	    void *data);
int nl_receive(struct nl *nl, int timeout_ms, mnl_cb_t cb, void *data);
const char *nl_error_message(void);
int nl_genl_family(struct nl *nl, const char *name, uint16_t *id,
		   const char *group, uint32_t *group_id);
int nl_fail(const char *what, int err);
int no_family(void);
#define NL_BUF_SIZE 65536

/* event.c: one message of the "events" multicast group. */
struct vtcp_event {
	uint8_t type;		/* enum vtcp_event_type */
	uint64_t time_ns;
	uint64_t cookie;
	uint8_t family;		/* AF_INET; AF_INET6 from SADDR6/DADDR6 */
	struct in6_addr saddr, daddr;	/* IPv4 ones v4-mapped */
	uint16_t sport, dport;	/* host order */
	uint8_t old_state, new_state, fsm_event;
	uint8_t timer, retries;
	uint8_t flags;
	uint32_t seq, ack, len, win;
	uint32_t mtu, mss;	/* VTCP_EVT_PMTU */
};

int event_from_netlink(const struct nlmsghdr *nlh, struct vtcp_event *ev);
int event_from_json(const char *line, struct vtcp_event *ev);
void event_print(const struct vtcp_event *ev, bool json);

/*
 * Event sources for monitor and ladder: the live group, or files of
 * monitor -j lines. @fn returns 0 to go on, 1 to stop, or an exit code
 * (as a negative number) to fail.
 */
typedef int (*event_fn)(void *ctx, const struct vtcp_event *ev);
int events_live(double seconds, event_fn fn, void *ctx);
int events_from_files(char **files, int nfiles, event_fn fn, void *ctx);

/* The options monitor and ladder share: -j (monitor), -c, -t, --from. */
struct stream_opts {
	bool json;
	uint64_t count;		/* 0: no limit */
	double seconds;		/* 0: no limit */
	char **files;
	int nfiles;
};

int stream_opts_parse(struct stream_opts *o, int argc, char **argv,
		      bool json_ok, void (*usage)(FILE *));
int stream_run(const struct stream_opts *o, event_fn fn, void *ctx);

/* Connection matching, shared by ladder's filter. */
struct conn_match {
	bool any;
	bool has_sport, has_dport, has_cookie, has_addr, has_port;
	uint16_t sport, dport, port;
	uint64_t cookie;
	struct in6_addr addr;	/* IPv4 ones v4-mapped */
};

int conn_match_parse(struct conn_match *m, int argc, char **argv,
		     void (*usage)(FILE *));
bool conn_match(const struct conn_match *m, const struct vtcp_event *ev);

/* filter.c: ss's state names and port/address conditions. */
struct ss_filter {
	uint32_t states;
	bool states_given;
	unsigned char bytecode[1024];
	int bytecode_len;
};

int ss_filter_parse(struct ss_filter *f, int argc, char **argv);
uint32_t ss_state_group(const char *name);

/* The commands. */
int do_ss(int argc, char **argv);
int do_stats(int argc, char **argv);
int do_monitor(int argc, char **argv);
int do_ladder(int argc, char **argv);
int do_run(int argc, char **argv);

/* ladder drawing, draw.c */
struct ladder;
struct ladder *ladder_new(const struct conn_match *m, uint64_t max_events);
int ladder_feed(void *ctx, const struct vtcp_event *ev);
bool ladder_done(const struct ladder *l);
bool ladder_matched(const struct ladder *l);
void ladder_finish(struct ladder *l);

#endif /* VTCP_CLI_H */
