/*
 * bench/miload.c - a milter-protocol load client that talks to a milter
 * the way Postfix's smtpd does (milter protocol version 6).
 *
 *   miload -s SPEC [-c sessions] [-r rcpts] [-D domain] [-m reuse|newconn]
 *          [-d secs] [-q max] [-t timeout_ms] [-H] [-N] [-b body_bytes]
 *          [-l label]
 *
 * A session is one milter connection: OPTNEG (version 6, all actions,
 * every step may be skipped or left without reply), then CONNECT and
 * HELO (each with Postfix's macros).  A message is MAIL, RCPT x rcpts,
 * DATA, five headers, EOH, one body chunk, end-of-body; the client then
 * reads modification replies (h, i, m, +, -, 2, b, e, q; p = progress)
 * until the final one.  Steps the milter negotiated away are not sent
 * and "no reply" steps are not waited for, as Postfix does.  With reuse,
 * messages follow each other on one connection with ABORT in between (a
 * new SMTP transaction); with newconn every message gets its own
 * connection, negotiation and QUIT.
 *
 * A message counts as OK if every reply is continue/accept and the final
 * reply is accept or continue; with -H it must also carry at least one
 * header modification (h/i/m).  Latency runs from MAIL (reuse) or from
 * connect (newconn) to the final reply.  Output: one RESULT line.
 * Exit 0 if some message was OK and none failed, 1 otherwise, 2 usage,
 * 3 hard time limit.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"

/* Commands (MTA to milter), libmilter/mfdef.h */
#define C_ABORT 'A'
#define C_BODY 'B'
#define C_CONNECT 'C'
#define C_MACRO 'D'
#define C_BODYEOB 'E'
#define C_HELO 'H'
#define C_HEADER 'L'
#define C_MAIL 'M'
#define C_EOH 'N'
#define C_OPTNEG 'O'
#define C_QUIT 'Q'
#define C_RCPT 'R'
#define C_DATA 'T'

/* Protocol flags (SMFIP_*) */
#define P_NOCONNECT 0x1
#define P_NOHELO 0x2
#define P_NOMAIL 0x4
#define P_NORCPT 0x8
#define P_NOBODY 0x10
#define P_NOHDRS 0x20
#define P_NOEOH 0x40
#define P_NR_HDR 0x80
#define P_NODATA 0x200
#define P_NR_CONN 0x1000
#define P_NR_HELO 0x2000
#define P_NR_MAIL 0x4000
#define P_NR_RCPT 0x8000
#define P_NR_DATA 0x10000
#define P_NR_EOH 0x40000
#define P_NR_BODY 0x80000
/* what we offer: every NO* and NR_* step, SKIP, RCPT_REJ; not
 * HDR_LEADSPC and no larger body chunks (Postfix default) */
#define P_OFFER 0x000FFFFFu
#define A_OFFER 0x000001FFu /* every SMFIF_* action of version 6 */
#define MILTER_VERSION 6

#define MI_MAX_PKT (1024 * 1024) /* a replaced body could be large */
#define MI_MAX_ERRS 1000
#define MI_MAX_RCPTS 100

static struct bu_run R;
static struct {
	const char *domain;
	unsigned sessions, rcpts, body;
	bool newconn, want_hdr, nodelay;
	atomic_int shown;
} g;

struct sess {
	struct bu_worker w; /* first: counters and latencies */
	int fd;
	uint32_t proto; /* negotiated protocol flags */
	uint64_t hdrs, mods;
	char *pkt;	 /* MI_MAX_PKT receive buffer */
	char out[16384]; /* packets waiting to be written */
	size_t olen, pstart;
};

static void complain(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* The first few failures go to stderr; the count is in the RESULT. */
static void
complain(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&g.shown, 1) < 5) {
		va_start(ap, fmt);
		fprintf(stderr, "miload: ");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
}

/*
 * Outgoing packets are collected in s->out and written only when a reply
 * is due, as Postfix's VSTREAM does (macros + event in one write; headers
 * without replies batched).  Writing each packet separately would make
 * the client itself trip over Nagle + delayed ACK.
 */
static void
pk_start(struct sess *s, char cmd)
{
	s->pstart = s->olen;
	s->olen += 4;
	if (s->olen < sizeof(s->out))
		s->out[s->olen++] = cmd;
}

static void
pk_add(struct sess *s, const void *p, size_t n)
{
	if (s->olen + n <= sizeof(s->out)) {
		memcpy(s->out + s->olen, p, n);
		s->olen += n;
	} else {
		s->olen = sizeof(s->out) + 1; /* poison: pk_flush fails */
	}
}

static void
pk_str(struct sess *s, const char *str)
{
	pk_add(s, str, strlen(str) + 1);
}

static void
pk_u32(struct sess *s, uint32_t v)
{
	v = htonl(v);
	pk_add(s, &v, 4);
}

/* Finish the packet begun by pk_start (fills in its length). */
static void
pk_end(struct sess *s)
{
	uint32_t len;

	if (s->olen > sizeof(s->out))
		return;
	len = htonl((uint32_t)(s->olen - s->pstart - 4));
	memcpy(s->out + s->pstart, &len, 4);
}

/* Write every finished packet. */
static int
pk_flush(struct sess *s)
{
	int rc;

	if (s->olen > sizeof(s->out)) {
		s->olen = 0;
		return -1;
	}
	rc = bu_writen(s->fd, s->out, s->olen);
	s->olen = 0;
	return rc;
}

/* A macro packet for command `cmd`: pairs of NUL-terminated strings.
 * Sent (buffered) even when the event itself is negotiated away, as
 * Postfix does. */
static void
send_macros(struct sess *s, char cmd, const char *const *kv)
{
	pk_start(s, C_MACRO);
	pk_add(s, &cmd, 1);
	for (; kv[0] != NULL; kv += 2) {
		pk_str(s, kv[0]);
		pk_str(s, kv[1]);
	}
	pk_end(s);
}

/* Read one reply packet; returns its command byte, or -1.  *len gets the
 * data length (data at s->pkt). */
static int
read_pkt(struct sess *s, uint32_t *len)
{
	uint32_t n;
	char cmd;

	if (bu_readn(s->fd, &n, 4) < 0)
		return -1;
	n = ntohl(n);
	if (n == 0 || n > MI_MAX_PKT) {
		complain("bad reply length %u", (unsigned)n);
		return -1;
	}
	if (bu_readn(s->fd, &cmd, 1) < 0)
		return -1;
	*len = n - 1;
	if (*len > 0 && bu_readn(s->fd, s->pkt, *len) < 0)
		return -1;
	return (unsigned char)cmd;
}

/* Wait for a reply to a step unless the milter said it gives none.
 * Progress packets are skipped.  Returns the reply byte, 'c' when no
 * reply is due, or -1. */
static int
step_reply(struct sess *s, uint32_t nr_flag)
{
	uint32_t len;
	int r;

	if (s->proto & nr_flag)
		return 'c';
	if (pk_flush(s) < 0)
		return -1;
	do {
		r = read_pkt(s, &len);
	} while (r == 'p');
	return r;
}

/* Finish a step packet and check its reply: 0 go on, 1 the message is
 * finished early (accepted), -1 failure. */
static int
step(struct sess *s, uint32_t nr_flag, const char *what)
{
	int r;

	pk_end(s);
	r = step_reply(s, nr_flag);
	if (r == 'c')
		return 0;
	if (r == 'a')
		return 1;
	if (r == 's' && strcmp(what, "body") == 0)
		return 0;
	if (r < 0)
		complain("no reply to %s (errno %d)", what, errno);
	else
		complain("unexpected reply to %s: '%c'", what, r);
	return -1;
}

static int
negotiate(struct sess *s)
{
	static const char *const conn_macros[] = {"j",
						  "mta.lab.test",
						  "{daemon_name}",
						  "smtpd",
						  "{daemon_addr}",
						  "127.0.25.1",
						  "v",
						  "Postfix 3.7.11",
						  "_",
						  "client.lab.test [127.0.0.1]",
						  NULL,
						  NULL};
	uint32_t len, v[3];
	uint16_t port = htons(40000);

	s->fd = bu_connect(&R.addr, R.timeout_ms, g.nodelay);
	if (s->fd < 0) {
		complain("connect: errno %d", errno);
		return -1;
	}
	pk_start(s, C_OPTNEG);
	pk_u32(s, MILTER_VERSION);
	pk_u32(s, A_OFFER);
	pk_u32(s, P_OFFER);
	pk_end(s);
	if (pk_flush(s) < 0 || read_pkt(s, &len) != C_OPTNEG || len < 12) {
		complain("negotiation failed (errno %d)", errno);
		return -1;
	}
	memcpy(v, s->pkt, 12);
	s->proto = ntohl(v[2]) & P_OFFER;
	send_macros(s, C_CONNECT, conn_macros);
	if ((s->proto & P_NOCONNECT) == 0) {
		pk_start(s, C_CONNECT);
		pk_str(s, "client.lab.test");
		pk_add(s, "4", 1);
		pk_add(s, &port, 2);
		pk_str(s, "127.0.0.1");
		if (step(s, P_NR_CONN, "connect") != 0)
			return -1;
	}
	if ((s->proto & P_NOHELO) == 0) {
		pk_start(s, C_HELO);
		pk_str(s, "client.lab.test");
		if (step(s, P_NR_HELO, "helo") != 0)
			return -1;
	}
	return 0;
}

static void
hangup(struct sess *s, bool quit)
{
	if (s->fd < 0)
		return;
	if (quit) {
		pk_start(s, C_QUIT);
		pk_end(s);
		(void)pk_flush(s);
	}
	s->olen = 0;
	close(s->fd);
	s->fd = -1;
}

/* The end-of-message phase: modifications, then the final reply. */
static int
end_of_message(struct sess *s, bool *tagged)
{
	static const char *const eom_macros[] = {"i", "4AbCdEfGh", NULL, NULL};
	uint32_t len;
	int r;

	send_macros(s, C_BODYEOB, eom_macros);
	pk_start(s, C_BODYEOB);
	pk_end(s);
	if (pk_flush(s) < 0)
		return -1;
	for (;;) {
		r = read_pkt(s, &len);
		switch (r) {
		case 'h':
		case 'i':
		case 'm':
			*tagged = true;
			s->mods++;
			continue;
		case '+':
		case '-':
		case '2':
		case 'b':
		case 'e':
		case 'q':
		case 'p':
			s->mods++;
			continue;
		case 'a':
		case 'c':
			return 0;
		case -1:
			complain("no final reply at eom (errno %d)", errno);
			return -1;
		default:
			complain("final reply at eom: '%c'", r);
			return -1;
		}
	}
}

/* One message on an open session.  0 OK, -1 failed (session unusable
 * or the answer was not accept/continue). */
static int
message(struct sess *s, unsigned seq)
{
	static const char *const hdrs[] = {
		"From",	      "<sender@lab.test>",
		"To",	      "<u0@example.test>",
		"Subject",    "bench",
		"Message-ID", "<bench@lab.test>",
		"Date",	      "Sat, 28 Nov 2026 12:00:00 +0000",
		NULL,	      NULL};
	const char *mail_macros[] = {
		"i",	       "4AbCdEfGh", "{mail_addr}",   "sender@lab.test",
		"{mail_host}", "lab.test",  "{mail_mailer}", "smtp",
		NULL,	       NULL};
	const char *rcpt_macros[] = {
		"{rcpt_addr}",	 NULL,	 "{rcpt_host}", NULL,
		"{rcpt_mailer}", "smtp", NULL,		NULL};
	char rcpt[300], addr[290];
	bool tagged = false;
	int r;

	send_macros(s, C_MAIL, mail_macros);
	if ((s->proto & P_NOMAIL) == 0) {
		pk_start(s, C_MAIL);
		pk_str(s, "<sender@lab.test>");
		r = step(s, P_NR_MAIL, "mail");
		if (r != 0)
			return r > 0 ? 0 : -1;
	}
	for (unsigned i = 0; i < g.rcpts; i++) {
		snprintf(addr, sizeof(addr), "u%u.%u@%s", seq % 1000, i,
			 g.domain);
		snprintf(rcpt, sizeof(rcpt), "<%s>", addr);
		rcpt_macros[1] = addr;
		rcpt_macros[3] = g.domain;
		send_macros(s, C_RCPT, rcpt_macros);
		if (s->proto & P_NORCPT)
			continue;
		pk_start(s, C_RCPT);
		pk_str(s, rcpt);
		r = step(s, P_NR_RCPT, "rcpt");
		if (r != 0)
			return r > 0 ? 0 : -1;
	}
	if ((s->proto & P_NODATA) == 0) {
		pk_start(s, C_DATA);
		if (step(s, P_NR_DATA, "data") != 0)
			return -1;
	}
	for (int i = 0; hdrs[i] != NULL && (s->proto & P_NOHDRS) == 0; i += 2) {
		pk_start(s, C_HEADER);
		pk_str(s, hdrs[i]);
		pk_str(s, hdrs[i + 1]);
		if (step(s, P_NR_HDR, "header") != 0)
			return -1;
	}
	if ((s->proto & P_NOEOH) == 0) {
		pk_start(s, C_EOH);
		if (step(s, P_NR_EOH, "eoh") != 0)
			return -1;
	}
	if ((s->proto & P_NOBODY) == 0 && g.body > 0) {
		pk_start(s, C_BODY);
		for (unsigned i = 0; i < g.body; i++)
			pk_add(s, (i % 64) == 63 ? "\n" : "x", 1);
		if (step(s, P_NR_BODY, "body") != 0)
			return -1;
	}
	if (end_of_message(s, &tagged) < 0)
		return -1;
	if (tagged)
		s->hdrs++;
	if (g.want_hdr && !tagged) {
		complain("eom: no header added (message %u)", seq);
		return -1;
	}
	return 0;
}

static void *
run(void *arg)
{
	struct sess *s = arg;
	unsigned seq = 0;
	uint64_t t0;
	int rc;

	s->fd = -1;
	s->pkt = malloc(MI_MAX_PKT);
	while (s->pkt != NULL && s->w.err < MI_MAX_ERRS && bu_run_more(&R)) {
		t0 = bu_now_ns();
		if (s->fd < 0 && negotiate(s) < 0) {
			hangup(s, false);
			s->w.err++;
			usleep(1000);
			continue;
		}
		if (!g.newconn)
			t0 = bu_now_ns();
		rc = message(s, seq++);
		if (rc < 0 || g.newconn) {
			hangup(s, rc == 0);
		} else {
			/* next SMTP transaction on this connection: the
			 * ABORT goes out with the next MAIL */
			pk_start(s, C_ABORT);
			pk_end(s);
		}
		bu_lat_add(&s->w.lat, bu_now_ns() - t0);
		if (rc == 0)
			s->w.ok++;
		else
			s->w.err++;
	}
	hangup(s, true);
	if (s->pkt == NULL)
		s->w.err++;
	free(s->pkt);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: miload -s SPEC [-c sessions] [-r rcpts] [-D domain]\n"
		"  [-m reuse|newconn] [-d secs] [-q max] [-t timeout_ms] [-H]\n"
		"  [-N] [-b body_bytes] [-l label]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct sess *ss;
	struct bu_lat all;
	uint64_t ok, err, hdrs = 0, mods = 0;
	char extra[200];
	double secs;
	size_t cap;
	int c;

	bu_run_init(&R, "miload");
	g.domain = "example-enforce.test";
	g.sessions = 1;
	g.rcpts = 1;
	g.body = 1024;
	while ((c = getopt(argc, argv, "s:c:r:D:m:d:q:t:HNb:l:")) != -1) {
		if (bu_run_opt(&R, c, optarg))
			continue;
		switch (c) {
		case 'c':
			g.sessions = (unsigned)bu_num(optarg, 1, 1000, "-c");
			break;
		case 'r':
			g.rcpts =
				(unsigned)bu_num(optarg, 1, MI_MAX_RCPTS, "-r");
			break;
		case 'D':
			g.domain = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "newconn") == 0)
				g.newconn = true;
			else if (strcmp(optarg, "reuse") != 0)
				usage();
			break;
		case 'H':
			g.want_hdr = true;
			break;
		case 'N':
			g.nodelay = true;
			break;
		case 'b':
			g.body = (unsigned)bu_num(optarg, 0, 6000, "-b");
			break;
		default:
			usage();
		}
	}
	if (strlen(g.domain) > 253 || bu_run_ready(&R, "miload", 0) < 0)
		usage();
	ss = calloc(g.sessions, sizeof(*ss));
	if (ss == NULL)
		return 1;
	cap = R.max / g.sessions + 1;
	if (cap > 2000000)
		cap = 2000000;
	secs = bu_run_workers(&R, ss, sizeof(*ss), g.sessions, cap, run, &all,
			      &ok, &err);
	if (secs < 0)
		return 1;
	for (unsigned i = 0; i < g.sessions; i++) {
		hdrs += ss[i].hdrs;
		mods += ss[i].mods;
	}
	snprintf(extra, sizeof(extra),
		 "sessions=%u rcpts=%u mode=%s tagged=%llu mods=%llu "
		 "proto=0x%x",
		 g.sessions, g.rcpts, g.newconn ? "newconn" : "reuse",
		 (unsigned long long)hdrs, (unsigned long long)mods,
		 (unsigned)ss[0].proto);
	bu_report(R.label, ok, err, secs, &all, extra);
	bu_lat_free(&all);
	free(ss);
	return ok > 0 && err == 0 ? 0 : 1;
}
