/*
 * sts_fetch.c - the HTTPS policy fetch (RFC 8461 section 3.3).  See
 * sts_fetch.h for the contract and the failure table.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sts_fetch.h"
#include "sts_http.h"
#include "sts_sock.h"
#include "sts_tls_open.h"

#define FETCH_PATH "/.well-known/mta-sts.txt"

static enum sts_status
result(struct sts_fetch_result *out, enum sts_status st, enum sts_rpt rpt)
{
	out->status = st;
	out->rpt = rpt;
	return st;
}

/* The HTTP exchange on an established, verified TLS session. */
static enum sts_status
exchange(struct sts_tls_conn *c, struct sts_fetch_result *out)
{
	char req[STS_DOMAIN_BUFSZ + 160], buf[16384], why[STS_WHY_MAX];
	struct sts_http *h;
	enum sts_status st;
	const char *body, *ct;
	size_t got, used, blen;
	int n;

	n = snprintf(req, sizeof(req),
		     "GET " FETCH_PATH " HTTP/1.1\r\n"
		     "Host: %s\r\n"
		     "User-Agent: mta-sts-milter/" PACKAGE_VERSION "\r\n"
		     "Accept: text/plain\r\n"
		     "Connection: close\r\n\r\n",
		     out->host);
	st = sts_tls_write(c, req, (size_t)n, out->why, sizeof(out->why));
	if (st != STS_OK)
		return result(out, STS_TEMPFAIL,
			      STS_RPT_STS_POLICY_FETCH_ERROR);
	h = sts_http_new(STS_MAX_POLICY_BODY);
	if (h == NULL) {
		sts_why(out->why, sizeof(out->why), STS_NOMEM, "out of memory");
		return result(out, STS_NOMEM, STS_RPT_NONE);
	}
	for (;;) {
		st = sts_tls_read(c, buf, sizeof(buf), &got, why, sizeof(why));
		if (st != STS_OK) {
			sts_why(out->why, sizeof(out->why), st, "%s%s", why,
				sts_http_headers_done(h) ? " (during the body)"
							 : "");
			/* timeouts and resets are temporary; a TLS
			 * protocol error is not */
			st = result(out,
				    st == STS_TEMPFAIL ? STS_TEMPFAIL
						       : STS_INVALID,
				    STS_RPT_STS_POLICY_FETCH_ERROR);
			goto done;
		}
		if (got == 0) {
			st = sts_http_eof(h, sts_tls_closed_notify(c), why,
					  sizeof(why));
		} else {
			st = sts_http_feed(h, buf, got, &used, why,
					   sizeof(why));
		}
		if (st != STS_OK) {
			sts_why(out->why, sizeof(out->why), st, "HTTP: %s",
				why);
			if (sts_http_headers_done(h))
				out->http_status = sts_http_status(h);
			/* over the body cap: the lab table (and RFC 8460's
			 * "failure to retrieve") call it a fetch error */
			st = result(out, STS_INVALID,
				    STS_RPT_STS_POLICY_FETCH_ERROR);
			goto done;
		}
		/* a non-200 answer is final: no need to read its body */
		if (sts_http_headers_done(h) && sts_http_status(h) != 200)
			break;
		if (sts_http_done(h) || got == 0)
			break;
	}
	out->http_status = sts_http_status(h);
	if (out->http_status != 200) {
		/* RFC 8461 section 3.3: only 200; redirects not followed */
		const char *loc = sts_http_location(h);

		sts_why(out->why, sizeof(out->why), STS_INVALID,
			"HTTP status %d%s%s%s (only 200 is valid)",
			out->http_status, loc[0] ? ", redirect to " : "", loc,
			loc[0] ? " not followed" : "");
		st = result(out, STS_INVALID, STS_RPT_STS_POLICY_FETCH_ERROR);
		goto done;
	}
	ct = sts_http_content_type(h);
	if (!sts_http_ctype_is_text_plain(ct)) {
		sts_why(out->why, sizeof(out->why), STS_INVALID,
			"Content-Type is \"%s\", not text/plain", ct);
		st = result(out, STS_INVALID, STS_RPT_STS_POLICY_INVALID);
		goto done;
	}
	body = sts_http_body(h, &blen);
	st = sts_policy_parse(body, blen, &out->policy, &out->errline, why,
			      sizeof(why));
	if (st == STS_OK)
		st = sts_policy_usable(out->policy, why, sizeof(why));
	if (st == STS_OK) {
		/* mx values ignored as never matching a host name: a
		 * warning in why (issue 13 item 7) */
		sts_policy_warnings(out->policy, out->why, sizeof(out->why));
		result(out, STS_OK, STS_RPT_NONE);
	} else if (st == STS_NOMEM) {
		sts_why(out->why, sizeof(out->why), st, "out of memory");
		result(out, STS_NOMEM, STS_RPT_NONE);
	} else {
		if (out->errline > 0)
			sts_why(out->why, sizeof(out->why), st,
				"policy line %zu: %s", out->errline, why);
		else
			sts_why(out->why, sizeof(out->why), st, "policy: %s",
				why);
		st = result(out, STS_INVALID, STS_RPT_STS_POLICY_INVALID);
	}
done:
	sts_http_free(h);
	return st;
}

enum sts_status
sts_fetch_policy(struct sts_resolver *r, struct sts_tls *t, const char *domain,
		 const struct sts_fetch_conf *conf,
		 struct sts_fetch_result *out)
{
	static const struct sts_fetch_conf defaults;
	struct sts_resolver_addrs addrs;
	int64_t start = sts_now_ms(), deadline;
	struct sts_tls_opened o;
	unsigned connect_ms;
	enum sts_status st;
	uint16_t port;

	memset(out, 0, sizeof(*out));
	if (conf == NULL)
		conf = &defaults;
	deadline = start + (conf->timeout_ms ? conf->timeout_ms
					     : STS_FETCH_DEFAULT_TIMEOUT_MS);
	connect_ms = conf->connect_ms ? conf->connect_ms
				      : STS_FETCH_DEFAULT_CONNECT_MS;
	port = conf->port ? conf->port : 443;
	if (strlen(domain) + 8 > STS_MAX_DOMAIN) {
		sts_why(out->why, sizeof(out->why), STS_INVALID,
			"domain too long for mta-sts.%s", domain);
		return result(out, STS_INVALID, STS_RPT_STS_POLICY_FETCH_ERROR);
	}
	snprintf(out->host, sizeof(out->host), "mta-sts.%s", domain);

	st = sts_resolver_addrs_for_connect(r, out->host, port, deadline,
					    &addrs);
	if (st != STS_OK) {
		snprintf(out->why, sizeof(out->why), "%s", addrs.meta.why);
		if (st == STS_INVALID)
			st = STS_TEMPFAIL;
		/* no usable address because the policy host's A/AAAA is
		 * DNSSEC-bogus: the policy cannot be fetched, a fetch error
		 * like any other (RFC 8461 section 3.3: "for any reason";
		 * issue 13 item 3), never BOGUS, which would defer mail as
		 * if the TXT record were bogus; the reason names the record */
		if (st == STS_BOGUS) {
			st = STS_INVALID;
			sts_why(out->why, sizeof(out->why), st,
				"no usable address: %s", addrs.meta.why);
		}
		result(out, st,
		       st == STS_NOMEM ? STS_RPT_NONE
				       : STS_RPT_STS_POLICY_FETCH_ERROR);
		goto done;
	}
	/* the addresses raced (RFC 8305), one deadline; a TLS or
	 * certificate failure is final (checklist C2/C3: the name is
	 * mta-sts.<the user's domain>, even when that host is a CNAME) */
	st = sts_tls_open(t, &addrs, out->host, connect_ms, deadline, &o,
			  out->why, sizeof(out->why));
	snprintf(out->addr, sizeof(out->addr), "%s", o.addr);
	if (st == STS_NOMEM) {
		result(out, st, STS_RPT_NONE);
	} else if (st != STS_OK) {
		result(out, st == STS_TEMPFAIL ? STS_TEMPFAIL : STS_INVALID,
		       o.stage == STS_TLS_STAGE_VERIFY
			       ? STS_RPT_STS_WEBPKI_INVALID
			       : STS_RPT_STS_POLICY_FETCH_ERROR);
	} else {
		snprintf(out->tls_version, sizeof(out->tls_version), "%s",
			 sts_tls_conn_version(o.conn));
		st = exchange(o.conn, out);
		sts_tls_open_close(&o, st == STS_OK);
	}
done:
	sts_resolver_addrs_clear(&addrs);
	out->elapsed_ms = (unsigned)(sts_now_ms() - start);
	if (out->status != STS_OK) {
		sts_policy_free(out->policy);
		out->policy = NULL;
	}
	return out->status;
}

void
sts_fetch_result_clear(struct sts_fetch_result *res)
{
	if (res == NULL)
		return;
	sts_policy_free(res->policy);
	res->policy = NULL;
}
