/*
 * sts_probe.c - the STARTTLS prober, an explicit state machine
 * (CONNECT -> BANNER -> EHLO -> STARTTLS -> HANDSHAKE -> VERIFY -> QUIT).
 * See sts_probe.h for the contract and the result table.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sts_probe.h"
#include "sts_smtp.h"
#include "sts_sock.h"

struct probe {
	const struct sts_probe_conf *conf;
	struct sts_probe_result *out;
	int fd;
	int64_t all;  /* overall deadline */
	int64_t step; /* current step's deadline */
	unsigned step_ms;
	char in[STS_MAX_SMTP_LINE];
	size_t in_len, in_off; /* bytes read but not yet parsed */
	unsigned tls_flags;    /* of sts_tls_conn_new() */
	bool retry12;	       /* sts_tls_retry_tls12() after the handshake */
	struct sts_smtp_reply reply;
};

const char *
sts_probe_step_str(enum sts_probe_step s)
{
	static const char *const names[] = {"connect",	"banner",    "ehlo",
					    "starttls", "handshake", "verify",
					    "quit",	"done"};

	return (unsigned)s <= STS_PROBE_DONE ? names[s] : "?";
}

static enum sts_status
finish(struct probe *p, enum sts_status st, enum sts_rpt rpt)
{
	p->out->status = st;
	p->out->rpt = rpt;
	return st;
}

/*
 * The MX cannot do STARTTLS (EHLO refused, not offered, or refused).
 * With DNSSEC-secure TLSA records that is a DANE failure (RFC 7672
 * section 2.2: TLS is mandatory); otherwise the MX simply has no TLS.
 */
static enum sts_status
no_starttls(struct probe *p, bool dane)
{
	return finish(p, dane ? STS_INVALID : STS_NOTFOUND,
		      dane ? STS_RPT_DANE_REQUIRED
			   : STS_RPT_STARTTLS_NOT_SUPPORTED);
}

static void
enter(struct probe *p, enum sts_probe_step s)
{
	p->out->step = s;
	p->step = sts_deadline_min(p->all, p->step_ms);
}

/* Read one complete reply into p->reply (STS_OK) or fail with why. */
static enum sts_status
read_reply(struct probe *p)
{
	char why[STS_WHY_MAX];
	enum sts_status st;
	size_t used, got;

	sts_smtp_reply_init(&p->reply);
	while (!p->reply.done) {
		if (p->in_off == p->in_len) {
			p->in_off = p->in_len = 0;
			st = sts_sock_read(p->fd, p->in, sizeof(p->in), p->step,
					   &got, why, sizeof(why));
			if (st != STS_OK)
				return sts_why(p->out->why, sizeof(p->out->why),
					       st, "%s: %s",
					       sts_probe_step_str(p->out->step),
					       why);
			if (got == 0)
				return sts_why(
					p->out->why, sizeof(p->out->why),
					STS_TEMPFAIL, "%s: connection closed",
					sts_probe_step_str(p->out->step));
			p->in_len = got;
		}
		st = sts_smtp_reply_feed(&p->reply, p->in + p->in_off,
					 p->in_len - p->in_off, &used, why,
					 sizeof(why));
		p->in_off += used;
		if (st != STS_OK)
			return sts_why(p->out->why, sizeof(p->out->why),
				       STS_TEMPFAIL, "%s: bad reply: %s",
				       sts_probe_step_str(p->out->step), why);
	}
	return STS_OK;
}

static enum sts_status
command(struct probe *p, const char *cmd)
{
	char why[STS_WHY_MAX];
	enum sts_status st;

	st = sts_sock_write(p->fd, cmd, strlen(cmd), p->step, why, sizeof(why));
	if (st != STS_OK)
		return sts_why(p->out->why, sizeof(p->out->why), st, "%s: %s",
			       sts_probe_step_str(p->out->step), why);
	return read_reply(p);
}

/* Reply text for reasons. */
static const char *
first_line(struct probe *p, char *buf, size_t len)
{
	sts_smtp_reply_first(&p->reply, buf, len);
	return buf;
}

/* The SMTP part up to the 220 reply to STARTTLS. */
static enum sts_status
smtp_steps(struct probe *p, bool dane)
{
	char cmd[STS_DOMAIN_BUFSZ + 8], line[128];
	enum sts_status st;

	enter(p, STS_PROBE_BANNER);
	st = read_reply(p);
	if (st != STS_OK)
		return finish(p, STS_TEMPFAIL, STS_RPT_NONE);
	sts_smtp_reply_first(&p->reply, p->out->banner, sizeof(p->out->banner));
	if (p->reply.code != 220) {
		sts_why(p->out->why, sizeof(p->out->why), STS_TEMPFAIL,
			"banner: %d %s", p->reply.code, p->out->banner);
		return finish(p, STS_TEMPFAIL, STS_RPT_NONE);
	}

	enter(p, STS_PROBE_EHLO);
	snprintf(cmd, sizeof(cmd), "EHLO %s\r\n",
		 p->conf->helo ? p->conf->helo : "localhost");
	st = command(p, cmd);
	if (st != STS_OK)
		return finish(p, STS_TEMPFAIL, STS_RPT_NONE);
	if (p->reply.code != 250) {
		sts_why(p->out->why, sizeof(p->out->why), STS_NOTFOUND,
			"EHLO refused: %d %s", p->reply.code,
			first_line(p, line, sizeof(line)));
		return no_starttls(p, dane);
	}
	p->out->starttls = sts_smtp_reply_has_ext(&p->reply, "STARTTLS");

	enter(p, STS_PROBE_STARTTLS);
	if (!p->out->starttls) {
		sts_why(p->out->why, sizeof(p->out->why), STS_NOTFOUND,
			"EHLO reply does not offer STARTTLS");
		return no_starttls(p, dane);
	}
	st = command(p, "STARTTLS\r\n");
	if (st != STS_OK)
		return finish(p, STS_TEMPFAIL, STS_RPT_NONE);
	if (p->reply.code != 220) {
		sts_why(p->out->why, sizeof(p->out->why), STS_NOTFOUND,
			"STARTTLS refused: %d %s", p->reply.code,
			first_line(p, line, sizeof(line)));
		return no_starttls(p, dane);
	}
	/* Anything after the 220 was sent before the TLS handshake and
	 * would be read as if it came through TLS: refuse (the STARTTLS
	 * command injection, CVE-2011-0411 family). */
	if (p->in_off != p->in_len || sts_sock_pending(p->fd) > 0) {
		sts_why(p->out->why, sizeof(p->out->why), STS_INVALID,
			"bytes pipelined after the 220 reply to STARTTLS");
		return finish(p, STS_INVALID, STS_RPT_VALIDATION_FAILURE);
	}
	return STS_OK;
}

/* HANDSHAKE -> VERIFY -> QUIT on the socket p->fd. */
static enum sts_status
tls_steps(struct probe *p, struct sts_tls *t, const char *mxhost, bool dane)
{
	struct sts_tls_conn *c = NULL;
	char why[STS_WHY_MAX], buf[512];
	enum sts_status st;
	enum sts_rpt rpt;
	size_t got;

	enter(p, STS_PROBE_HANDSHAKE);
	st = sts_tls_conn_new(t, p->fd, mxhost, p->tls_flags, p->step, &c,
			      p->out->why, sizeof(p->out->why));
	if (st != STS_OK)
		return finish(p, st, STS_RPT_NONE);
	st = sts_tls_handshake(c, why, sizeof(why));
	if (st != STS_OK) {
		p->retry12 = sts_tls_retry_tls12(c);
		sts_why(p->out->why, sizeof(p->out->why), st, "%s", why);
		finish(p, st == STS_TEMPFAIL ? STS_TEMPFAIL : STS_INVALID,
		       STS_RPT_VALIDATION_FAILURE);
		goto done;
	}
	snprintf(p->out->tls_version, sizeof(p->out->tls_version), "%s",
		 sts_tls_conn_version(c));
	snprintf(p->out->cipher, sizeof(p->out->cipher), "%s",
		 sts_tls_conn_cipher(c));

	enter(p, STS_PROBE_VERIFY);
	if (dane) {
		p->out->dane = true;
		st = sts_dane_verify(p->conf->tlsa, c, mxhost, &rpt, why,
				     sizeof(why));
	} else {
		st = sts_tls_verify_pkix(c, mxhost, &rpt, why, sizeof(why));
	}
	if (st != STS_OK) {
		sts_why(p->out->why, sizeof(p->out->why), st, "%s", why);
		finish(p, st, rpt);
		goto done;
	}

	/* QUIT is a courtesy: its failure does not change the verdict */
	enter(p, STS_PROBE_QUIT);
	sts_tls_conn_set_deadline(c, sts_deadline_min(p->step, 1000));
	if (sts_tls_write(c, "QUIT\r\n", 6, why, sizeof(why)) == STS_OK)
		(void)sts_tls_read(c, buf, sizeof(buf), &got, why, sizeof(why));
	sts_tls_close_notify(c);
	p->out->step = STS_PROBE_DONE;
	finish(p, STS_OK, STS_RPT_NONE);
done:
	sts_tls_conn_free(c);
	return p->out->status;
}

enum sts_status
sts_probe_mx(struct sts_resolver *r, struct sts_tls *t, const char *mxhost,
	     const struct sts_probe_conf *conf, struct sts_probe_result *out)
{
	static const struct sts_probe_conf defaults;
	struct sts_resolver_addrs addrs;
	struct probe p;
	char why[STS_WHY_MAX];
	int64_t start = sts_now_ms();
	enum sts_dane_state ds = STS_DANE_NONE;
	enum sts_status st;
	size_t i;
	bool dane;

	memset(out, 0, sizeof(*out));
	memset(&addrs, 0, sizeof(addrs));
	if (conf == NULL)
		conf = &defaults;
	memset(&p, 0, sizeof(p));
	p.conf = conf;
	p.out = out;
	p.fd = -1;
	p.all = start + (conf->timeout_ms ? conf->timeout_ms
					  : STS_PROBE_DEFAULT_TIMEOUT_MS);
	p.step_ms = conf->step_ms ? conf->step_ms : STS_PROBE_DEFAULT_STEP_MS;
	if (conf->tlsa != NULL)
		ds = sts_dane_state(conf->tlsa);
	dane = ds == STS_DANE_USABLE;
	if (ds == STS_DANE_BOGUS) {
		/* RFC 7672 section 2.2: bogus TLSA -> do not deliver */
		sts_why(out->why, sizeof(out->why), STS_BOGUS, "%s",
			conf->tlsa->meta.why);
		finish(&p, STS_BOGUS, STS_RPT_DNSSEC_INVALID);
		goto done;
	}

	enter(&p, STS_PROBE_CONNECT);
	st = sts_resolver_addrs_for_connect(
		r, mxhost, conf->port ? conf->port : 25, p.all, &addrs);
	if (st != STS_OK) {
		snprintf(out->why, sizeof(out->why), "%s", addrs.meta.why);
		finish(&p, st == STS_INVALID ? STS_TEMPFAIL : st,
		       st == STS_BOGUS ? STS_RPT_DNSSEC_INVALID : STS_RPT_NONE);
		goto done;
	}
	/* the addresses raced (RFC 8305), each attempt bounded by the step;
	 * the MX that answers first is the one probed */
	st = sts_sock_connect_any(addrs.addr, addrs.n, p.step_ms, p.all, &p.fd,
				  &i, out->why, sizeof(out->why));
	if (i < addrs.n)
		sts_resolver_addr_str(&addrs.addr[i], out->addr,
				      sizeof(out->addr));
	if (st != STS_OK) {
		finish(&p, STS_TEMPFAIL, STS_RPT_NONE);
		goto done;
	}
	if (smtp_steps(&p, dane) == STS_OK)
		(void)tls_steps(&p, t, mxhost, dane);
	/* the same address once more, offering TLS 1.2 only, as the MTA's
	 * own TLS library would have succeeded (sts_tls_retry_tls12()) */
	if (p.retry12 && sts_now_ms() < p.all) {
		sts_sock_close(p.fd);
		p.fd = -1;
		p.in_len = p.in_off = 0;
		p.retry12 = false;
		p.tls_flags = STS_TLS_TLS12_ONLY;
		out->why[0] = '\0';
		enter(&p, STS_PROBE_CONNECT);
		st = sts_sock_connect(&addrs.addr[i], p.step, &p.fd, why,
				      sizeof(why));
		if (st != STS_OK) {
			sts_why(out->why, sizeof(out->why), st, "%s: %s",
				out->addr, why);
			finish(&p, STS_TEMPFAIL, STS_RPT_NONE);
		} else if (smtp_steps(&p, dane) == STS_OK) {
			(void)tls_steps(&p, t, mxhost, dane);
		}
	}
done:
	sts_sock_close(p.fd);
	sts_resolver_addrs_clear(&addrs);
	out->elapsed_ms = (unsigned)(sts_now_ms() - start);
	return out->status;
}
