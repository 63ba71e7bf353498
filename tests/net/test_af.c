/*
 * tests/net/test_af.c - address families (sts_af.h): the names, which
 * families a set of interface addresses gives (the rules of "auto"), and
 * that the resolver asks only for the families configured.  Hermetic:
 * the name server is a UDP socket in this process on 127.0.0.1
 * (fake_ns.h), which counts the A and AAAA queries it gets; the lab's
 * side (auto in a netns with link-local IPv6 only) is in lab-net.sh.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "../tap.h"
#include "fake_ns.h"
#include "sts_af.h"
#include "sts_resolver.h"

static atomic_int n_a, n_aaaa;

/* Answer A and AAAA, and count them; "v4only-*" has no AAAA (NODATA). */
static void
on_query(struct fake_ns *ns, unsigned char *q, size_t n, size_t qend,
	 unsigned qtype, const struct sockaddr *to, socklen_t tl)
{
	unsigned char out[512];

	(void)n;
	if (qtype == 1)
		atomic_fetch_add(&n_a, 1);
	if (qtype == 28)
		atomic_fetch_add(&n_aaaa, 1);
	if (qtype == 28 && q[12] >= 6 && memcmp(q + 13, "v4only", 6) == 0) {
		if (qend > sizeof(out))
			return;
		memcpy(out, q, qend);
		out[2] = 0x81 | (q[2] & 0x78); /* QR, opcode kept, RD */
		out[3] = 0x80;		       /* RA, NOERROR */
		memset(out + 6, 0, 6);	       /* no records at all */
		sendto(ns->fd, out, qend, 0, to, tl);
		return;
	}
	fake_ns_answer_addr(ns, q, qend, qtype, to, tl);
}

static struct sockaddr_storage ss[8];

static const struct sockaddr *
addr(int i, const char *text)
{
	memset(&ss[i], 0, sizeof(ss[i]));
	if (strchr(text, ':') != NULL) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss[i];

		s->sin6_family = AF_INET6;
		inet_pton(AF_INET6, text, &s->sin6_addr);
	} else if (text[0] == '/') {
		struct sockaddr_un *s = (struct sockaddr_un *)&ss[i];

		s->sun_family = AF_UNIX;
		snprintf(s->sun_path, sizeof(s->sun_path), "%s", text);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss[i];

		s->sin_family = AF_INET;
		inet_pton(AF_INET, text, &s->sin_addr);
	}
	return (const struct sockaddr *)&ss[i];
}

/* sts_af_of() of the addresses in list (space separated). */
static enum sts_af
of(const char *list)
{
	const struct sockaddr *a[8];
	char buf[256], *save = NULL, *w;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (w = strtok_r(buf, " ", &save); w != NULL && n < 7;
	     w = strtok_r(NULL, " ", &save)) {
		a[n] = addr((int)n, w);
		n++;
	}
	a[n++] = NULL; /* skipped */
	return sts_af_of(a, n);
}

/* Look name up with r; the number of A and AAAA queries it caused. */
static enum sts_status
lookup(struct sts_resolver *r, const char *name, int *v4, int *v6, int *qa,
       int *qaaaa, char *why, size_t whylen)
{
	struct sts_resolver_addrs a;
	enum sts_status st;
	int a0 = atomic_load(&n_a), aaaa0 = atomic_load(&n_aaaa);

	st = sts_resolver_addrs_until(r, name, 443, 0, &a);
	*v4 = *v6 = 0;
	for (size_t i = 0; i < a.n; i++) {
		if (a.addr[i].ss.ss_family == AF_INET)
			++*v4;
		else
			++*v6;
	}
	snprintf(why, whylen, "%s", a.meta.why);
	sts_resolver_addrs_clear(&a);
	*qa = atomic_load(&n_a) - a0;
	*qaaaa = atomic_load(&n_aaaa) - aaaa0;
	return st;
}

int
main(void)
{
	static const char *const names[] = {"auto", "all", "ipv4", "ipv6"};
	static const enum sts_af vals[] = {STS_AF_AUTO, STS_AF_ALL, STS_AF_IPV4,
					   STS_AF_IPV6};
	struct fake_ns ns;
	struct sts_resolver_conf rc;
	struct sts_resolver *r;
	enum sts_af af, d;
	enum sts_status st;
	char why[STS_WHY_MAX], name[64];
	int v4, v6, qa, qaaaa;

	/* names */
	for (size_t i = 0; i < 4; i++) {
		af = (enum sts_af)99;
		ok(sts_af_parse(names[i], &af) == STS_OK && af == vals[i] &&
			   strcmp(sts_af_str(af), names[i]) == 0,
		   "\"%s\" parses and prints back", names[i]);
	}
	ok(sts_af_parse("IPv6", &af) == STS_OK && af == STS_AF_IPV6,
	   "any case");
	ok(sts_af_parse("inet6", &af) == STS_INVALID &&
		   sts_af_parse("", &af) == STS_INVALID &&
		   sts_af_parse(NULL, &af) == STS_INVALID,
	   "\"inet6\", \"\" and NULL are refused");

	/* the rules of "auto" */
	is_int(of("127.0.0.1 ::1"), STS_AF_ALL,
	       "loopback only: both (nothing to judge by)");
	is_int(of("127.0.0.1 ::1 fe80::1"), STS_AF_ALL,
	       "link-local IPv6 does not count");
	is_int(of("127.0.0.1 127.0.44.3 ::1 fe80::1"), STS_AF_IPV4,
	       "an IPv4 address other than 127.0.0.1 counts (glibc's rule; "
	       "the lab's netns): IPv4 only");
	is_int(of("192.0.2.25 fe80::2"), STS_AF_IPV4,
	       "IPv4 and link-local IPv6: IPv4 only");
	is_int(of("127.0.0.1 ::1 2001:db8::25"), STS_AF_IPV6,
	       "global IPv6 and loopback IPv4: IPv6 only");
	is_int(of("fd00::2"), STS_AF_IPV6, "a unique local address counts");
	is_int(of("192.0.2.25 2001:db8::25"), STS_AF_ALL, "both: both");
	is_int(of("/run/x.sock 192.0.2.25"), STS_AF_IPV4,
	       "other families are skipped");
	d = sts_af_detect();
	ok(d == STS_AF_ALL || d == STS_AF_IPV4 || d == STS_AF_IPV6,
	   "this host: %s", sts_af_str(d));

	/* the resolver asks only for the families configured */
	if (!ok(fake_ns_start(&ns, on_query, NULL),
		"fake name server on 127.0.0.1"))
		return tap_done();
	for (size_t i = 0; i < 4; i++) {
		fake_ns_resolver_conf(&ns, &rc, 2000);
		rc.families = vals[i];
		r = NULL;
		st = sts_resolver_new(&rc, &r, why, sizeof(why));
		if (!ok(st == STS_OK, "resolver with AddressFamilies %s (%s)",
			names[i], st == STS_OK ? "" : why))
			continue;
		af = sts_resolver_families(r);
		if (vals[i] == STS_AF_AUTO)
			is_int(af, sts_af_detect(), "auto: what this host has");
		else
			is_int(af, vals[i], "%s: as configured", names[i]);
		snprintf(name, sizeof(name), "both-%zu.af.example", i);
		st = lookup(r, name, &v4, &v6, &qa, &qaaaa, why, sizeof(why));
		ok(st == STS_OK && v4 == (af != STS_AF_IPV6) &&
			   v6 == (af != STS_AF_IPV4) &&
			   qa == (af != STS_AF_IPV6) &&
			   qaaaa == (af != STS_AF_IPV4),
		   "%s: %d A and %d AAAA queries, %d IPv4 and %d IPv6 "
		   "addresses",
		   sts_af_str(af), qa, qaaaa, v4, v6);
		snprintf(name, sizeof(name), "v4only-%zu.af.example", i);
		st = lookup(r, name, &v4, &v6, &qa, &qaaaa, why, sizeof(why));
		if (af == STS_AF_IPV6)
			ok(st == STS_NOTFOUND && qa == 0 &&
				   strstr(why, "no AAAA record (NODATA)") !=
					   NULL,
			   "ipv6, a host with only an A: not found, the reason "
			   "names the AAAA (%s)",
			   why);
		else
			ok(st == STS_OK && v4 == 1 && v6 == 0,
			   "%s, a host with only an A: its address (%s)",
			   sts_af_str(af), why);
		sts_resolver_free(r);
	}
	fake_ns_stop(&ns);
	return tap_done();
}
