/*
 * cli/check_live.c - `mta-sts-check DOMAIN [options]`, the live check an
 * admin runs first: the _mta-sts record and its DNSSEC state, the policy
 * fetched over HTTPS (or exactly why not), the MX list with per-MX policy
 * match and TLSA/DANE state, optionally a STARTTLS probe of each MX, and
 * a final line saying what an enforcing sender would do.
 *
 * It follows the RFC 8461 order: TXT discovery (section 3.1) gates the
 * fetch (3.3); the policy then judges the MX hosts (4.1); where an MX has
 * DNSSEC-secure usable TLSA records DANE decides for it (RFC 8461
 * section 2, checklist G1).  Exit codes (also in mta-sts-check(1)):
 *   0   a policy applies and an enforcing sender would deliver (also
 *       testing / none)
 *   1   no MTA-STS policy (no or unusable _mta-sts record)
 *   2   a policy is announced but could not be fetched or is invalid
 *   3   an enforce policy cannot be met (no MX matches or passes)
 *   4   DNSSEC validation failed (bogus): a sender defers
 *   64  usage error      75  temporary failure (DNS, timeout)
 *   78  configuration error (resolver, CA file)   70  internal error
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "check_live.h"
#include "conf.h"
#include "sts_dane.h"
#include "sts_domain.h"
#include "sts_fetch.h"
#include "sts_policy.h"
#include "sts_probe.h"
#include "sts_record.h"
#include "sts_resolver.h"
#include "sts_tls.h"

#define EXIT_NOPOLICY 1
#define EXIT_BADPOLICY 2
#define EXIT_UNMET 3
#define EXIT_BOGUS 4

const char check_live_usage[] =
	"  mta-sts-check DOMAIN [-c FILE] [--json] [--probe] "
	"[--resolver-conf FILE]\n"
	"        [--trust-anchor FILE|none] [--resolv-conf FILE]\n"
	"        [--forwarders ADDR,...] [--ca-file FILE] [--timeout MS]\n"
	"        [--address-families auto|all|ipv4|ipv6]\n"
	"      live check: _mta-sts record, policy fetch, MX hosts, TLSA,\n"
	"      STARTTLS probe (--probe) and the verdict of an enforcing "
	"sender;\n"
	"      resolver, trust anchor and CA settings come from the daemon's\n"
	"      configuration (-c FILE, default " CONF_DEFAULT_FILE "), "
	"flags\n"
	"      override them\n"
	"      exit: 0 would deliver, 1 no policy, 2 policy unusable, 3 "
	"enforce\n"
	"      policy unmet, 4 DNSSEC bogus, 75 temporary failure, 78 "
	"config\n";

struct opts {
	const char *domain;
	bool json, probe;
	struct sts_resolver_conf rc;
	const char *ca_file;
	unsigned timeout_ms;
	struct conf *conf; /* the daemon's configuration, or NULL */
};

struct mx_info {
	const struct sts_mx_host *host;
	bool match;
	struct sts_resolver_tlsa tlsa;
	enum sts_dane_state dane;
	bool probed;
	struct sts_probe_result probe;
};

struct check {
	struct opts o;
	char domain[STS_DOMAIN_BUFSZ];
	struct sts_resolver *r;
	struct sts_tls *tls;
	/* record */
	char txtname[STS_DOMAIN_BUFSZ + 10];
	struct sts_resolver_txt txt;
	enum sts_status rec_st;
	struct sts_record rec;
	char rec_why[STS_WHY_MAX];
	/* policy */
	bool fetched;
	struct sts_fetch_result fetch;
	const char *policy_result; /* the lab table's vocabulary */
	/* MX */
	struct sts_resolver_mx mx;
	struct mx_info *mi;
	/* verdict */
	enum sts_rpt rpt;
	int exit;
	char action[32];
	char verdict[512];
};

/* The daemon's configuration: -c FILE, or CONF_DEFAULT_FILE if it is
 * there and readable (a missing default file means the built-in
 * defaults, which are the daemon's too).  Its resolver, trust anchor
 * and CA settings become the defaults of the flags, so the
 * check runs with the settings the daemon uses (issue 14 item 7).  The
 * snapshot is o->conf (o points into it); check_live_main() drops it. */
static int
load_conf(int argc, char **argv, struct opts *o)
{
	struct conf *c;
	const char *file = NULL;
	char why[STS_WHY_MAX];
	int i;

	o->rc.families = STS_AF_AUTO; /* the daemon's default */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-c") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: -c needs a value\n",
					argv[0]);
				return EX_USAGE;
			}
			file = argv[++i];
		}
	if (file == NULL) {
		file = CONF_DEFAULT_FILE;
		if (access(file, R_OK) != 0) {
			if (errno != ENOENT)
				fprintf(stderr,
					"%s: %s: %s; using the built-in "
					"defaults\n",
					argv[0], file, strerror(errno));
			return EX_OK;
		}
	}
	c = conf_load(file, stderr, why, sizeof(why)); /* errors: stderr */
	if (c == NULL)
		return EX_CONFIG;
	o->conf = c;
	o->rc.trust_anchor_file = c->trust_anchor_file;
	o->rc.unbound_conf = c->unbound_conf;
	o->rc.resolv_conf = c->resolv_conf;
	o->rc.forwarders = c->forwarders;
	o->rc.families = c->address_families;
	o->ca_file = c->ca_file;
	return EX_OK;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	int rc = load_conf(argc, argv, o);

	if (rc != EX_OK)
		return rc;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **val = NULL;

		if (strcmp(a, "-c") == 0) {
			i++; /* read by load_conf() */
			continue;
		}

		if (strcmp(a, "--json") == 0) {
			o->json = true;
			continue;
		}
		if (strcmp(a, "--probe") == 0) {
			o->probe = true;
			continue;
		}
		if (strcmp(a, "--address-families") == 0) {
			if (++i >= argc ||
			    sts_af_parse(argv[i], &o->rc.families) != STS_OK) {
				fprintf(stderr,
					"%s: --address-families wants auto, "
					"all, ipv4 or ipv6\n",
					argv[0]);
				return EX_USAGE;
			}
			continue;
		}
		if (strcmp(a, "--resolver-conf") == 0)
			val = &o->rc.unbound_conf;
		else if (strcmp(a, "--trust-anchor") == 0)
			val = &o->rc.trust_anchor_file;
		else if (strcmp(a, "--resolv-conf") == 0)
			val = &o->rc.resolv_conf;
		else if (strcmp(a, "--forwarders") == 0)
			val = &o->rc.forwarders;
		else if (strcmp(a, "--ca-file") == 0)
			val = &o->ca_file;
		if (val != NULL || strcmp(a, "--timeout") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "%s: %s needs a value\n",
					argv[0], a);
				return EX_USAGE;
			}
			if (val != NULL) {
				*val = argv[i];
			} else {
				char *end;
				unsigned long v = strtoul(argv[i], &end, 10);

				if (*end != '\0' || v < 100 || v > 600000) {
					fprintf(stderr,
						"%s: --timeout wants 100.."
						"600000 ms\n",
						argv[0]);
					return EX_USAGE;
				}
				o->timeout_ms = (unsigned)v;
			}
			continue;
		}
		if (a[0] == '-' || o->domain != NULL) {
			fprintf(stderr, "%s: unexpected argument %s\n%s",
				argv[0], a, check_live_usage);
			return EX_USAGE;
		}
		o->domain = a;
	}
	if (o->domain == NULL) {
		fprintf(stderr, "usage:\n%s", check_live_usage);
		return EX_USAGE;
	}
	if (o->rc.trust_anchor_file != NULL &&
	    strcmp(o->rc.trust_anchor_file, "none") == 0)
		o->rc.trust_anchor_file = "";
	o->rc.timeout_ms = o->timeout_ms;
	return EX_OK;
}

/* Section 3.1 discovery. */
static void
check_record(struct check *c)
{
	snprintf(c->txtname, sizeof(c->txtname), "_mta-sts.%s", c->domain);
	c->rec_st = sts_resolver_txt(c->r, c->txtname, &c->txt);
	if (c->rec_st != STS_OK) {
		snprintf(c->rec_why, sizeof(c->rec_why), "%s", c->txt.meta.why);
		return;
	}
	c->rec_st = sts_record_discover(c->txt.rr, c->txt.n, &c->rec,
					c->rec_why, sizeof(c->rec_why));
}

static void
check_policy(struct check *c)
{
	struct sts_fetch_conf fc = {.timeout_ms = c->o.timeout_ms};

	switch (c->rec_st) {
	case STS_OK:
		break;
	case STS_BOGUS:
		c->policy_result = "bogus";
		c->rpt = STS_RPT_DNSSEC_INVALID;
		return;
	case STS_TEMPFAIL:
	case STS_NOMEM:
		c->policy_result = "tempfail";
		return;
	default:
		/* NXDOMAIN, NODATA, no or several v=STSv1 RRs, invalid
		 * record: all mean "no policy" (section 3.1) */
		c->policy_result = "notfound";
		return;
	}
	c->fetched = true;
	sts_fetch_policy(c->r, c->tls, c->domain, &fc, &c->fetch);
	c->rpt = c->fetch.rpt;
	if (c->fetch.status == STS_OK)
		c->policy_result = "ok";
	else if (c->fetch.status == STS_BOGUS)
		c->policy_result = "bogus";
	else if (c->fetch.rpt == STS_RPT_STS_WEBPKI_INVALID)
		c->policy_result = "webpki-invalid";
	else if (c->fetch.rpt == STS_RPT_STS_POLICY_INVALID)
		c->policy_result = "invalid";
	else if (c->fetch.status == STS_TEMPFAIL ||
		 c->fetch.status == STS_NOMEM)
		c->policy_result = "tempfail";
	else
		c->policy_result = "fetch-error";
}

/* MX list, policy match, TLSA, probe. */
static void
check_mx(struct check *c)
{
	const struct sts_policy *p = c->fetch.policy;
	bool active = p != NULL && p->mode != STS_MODE_NONE;
	struct sts_probe_conf pc = {.timeout_ms = c->o.timeout_ms};

	sts_resolver_mx(c->r, c->domain, &c->mx);
	if (c->mx.meta.status != STS_OK) {
		if (c->mx.meta.status == STS_BOGUS && c->rpt == STS_RPT_NONE)
			c->rpt = STS_RPT_DNSSEC_INVALID;
		return;
	}
	c->mi = calloc(c->mx.n ? c->mx.n : 1, sizeof(*c->mi));
	if (c->mi == NULL)
		return;
	for (size_t i = 0; i < c->mx.n; i++) {
		struct mx_info *m = &c->mi[i];

		m->host = &c->mx.mx[i];
		m->match = p != NULL && sts_policy_match(p, m->host->name);
		m->dane = sts_dane_lookup(c->r, m->host->name, 25, 0, &m->tlsa,
					  NULL, 0);
		if (!c->o.probe)
			continue;
		/* probe what matters: DANE hosts, and matching hosts of an
		 * active policy */
		if (m->dane == STS_DANE_USABLE || m->dane == STS_DANE_BOGUS ||
		    (active && m->match)) {
			pc.tlsa = &m->tlsa;
			sts_probe_mx(c->r, c->tls, m->host->name, &pc,
				     &m->probe);
			m->probed = true;
		}
	}
}

static int verdict(struct check *c, const char *action, int code,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
verdict(struct check *c, const char *action, int code, const char *fmt, ...)
{
	va_list ap;

	snprintf(c->action, sizeof(c->action), "%s", action);
	va_start(ap, fmt);
	vsnprintf(c->verdict, sizeof(c->verdict), fmt, ap);
	va_end(ap);
	c->exit = code;
	return code;
}

/* What an enforcing sender would do (RFC 8461 sections 4, 5, 5.1). */
static int
decide(struct check *c)
{
	const struct sts_policy *p = c->fetch.policy;
	size_t matched = 0, passed = 0;
	enum sts_rpt mxrpt = STS_RPT_NONE;
	const char *first_ok = NULL;

	if (strcmp(c->policy_result, "bogus") == 0)
		return verdict(c, "defer", EXIT_BOGUS,
			       "defer (4xx): DNSSEC validation failed%s; "
			       "never treat bogus as no policy",
			       "");
	if (strcmp(c->policy_result, "tempfail") == 0)
		return verdict(c, "tempfail", EX_TEMPFAIL,
			       "no policy could be obtained now (%s): use a "
			       "cached policy if any, else deliver as without "
			       "MTA-STS and retry later",
			       c->fetched ? c->fetch.why : c->rec_why);
	if (strcmp(c->policy_result, "notfound") == 0)
		return verdict(c, "deliver", EXIT_NOPOLICY,
			       "no MTA-STS policy%s: deliver as without "
			       "MTA-STS (opportunistic TLS, DANE if any)",
			       "");
	if (p == NULL)
		return verdict(c, "deliver", EXIT_BADPOLICY,
			       "policy unusable (%s): use a cached policy if "
			       "any (RFC 8461 5.1), else deliver as without "
			       "MTA-STS, and report it",
			       sts_rpt_str(c->rpt));
	if (p->mode == STS_MODE_NONE)
		return verdict(c, "deliver", EX_OK,
			       "mode none: deliver as without MTA-STS%s", "");
	if (c->mx.meta.status == STS_BOGUS)
		return verdict(c, "defer", EXIT_BOGUS,
			       "defer (4xx): the MX answer is DNSSEC bogus%s",
			       "");
	if (c->mx.meta.status != STS_OK)
		return verdict(c, "tempfail", EX_TEMPFAIL,
			       "MX lookup failed (%s): try again later",
			       c->mx.meta.why);
	if (c->mx.null_mx)
		return verdict(c, "bounce", EX_OK,
			       "null MX (RFC 7505): the domain accepts no "
			       "mail%s; not an MTA-STS matter",
			       "");
	for (size_t i = 0; c->mi != NULL && i < c->mx.n; i++) {
		const struct mx_info *m = &c->mi[i];
		bool ok;

		if (m->dane == STS_DANE_USABLE || m->dane == STS_DANE_BOGUS) {
			/* DANE decides for this host, not MTA-STS */
			ok = m->probed ? m->probe.status == STS_OK
				       : m->dane == STS_DANE_USABLE;
		} else if (!m->match) {
			continue;
		} else {
			ok = !m->probed || m->probe.status == STS_OK;
		}
		matched++;
		if (m->probed && m->probe.rpt != STS_RPT_NONE &&
		    mxrpt == STS_RPT_NONE)
			mxrpt = m->probe.rpt;
		if (ok) {
			passed++;
			if (first_ok == NULL)
				first_ok = m->host->name;
		}
	}
	/* no MX host passed and one failed on DNSSEC (bogus TLSA, bogus
	 * address records): that is exit 4, as mta-sts-check(1) reserves
	 * it for bogus data, not 3 (issue 13 item 9); a sender defers
	 * whatever the policy mode (RFC 7672 section 2.2, RFC 8461 2) */
	for (size_t i = 0; passed == 0 && c->mi != NULL && i < c->mx.n; i++) {
		const struct mx_info *m = &c->mi[i];

		if (m->dane == STS_DANE_BOGUS ||
		    (m->probed && m->probe.status == STS_BOGUS)) {
			if (c->rpt == STS_RPT_NONE)
				c->rpt = STS_RPT_DNSSEC_INVALID;
			return verdict(c, "defer", EXIT_BOGUS,
				       "defer (4xx): DNSSEC validation failed "
				       "for MX host %s (%s)",
				       m->host->name,
				       m->dane == STS_DANE_BOGUS
					       ? "TLSA bogus"
					       : "address records bogus");
		}
	}
	if (matched == 0)
		mxrpt = STS_RPT_VALIDATION_FAILURE;
	if (c->rpt == STS_RPT_NONE)
		c->rpt = mxrpt;
	if (p->mode == STS_MODE_TESTING)
		return verdict(c, "deliver", EX_OK,
			       "mode testing: deliver as usual, report "
			       "failures (%s)",
			       sts_rpt_str(c->rpt));
	if (passed == 0)
		return verdict(c, "defer", EXIT_UNMET,
			       "defer (4xx): no MX host %s",
			       matched == 0 ? "matches the policy"
					    : "passes STARTTLS and certificate "
					      "validation");
	return verdict(c, "deliver", EX_OK,
		       c->o.probe ? "deliver via %s (STARTTLS and certificate "
				    "verified)"
				  : "deliver only with verified STARTTLS to "
				    "matching MX hosts, first %s (not probed: "
				    "--probe)",
		       first_ok);
}

static void
print_text(const struct check *c)
{
	const struct sts_fetch_result *f = &c->fetch;

	printf("domain    %s\n", c->domain);
	printf("_mta-sts  %s (DNSSEC %s, ttl %u)", sts_status_str(c->rec_st),
	       sts_dnssec_str(c->txt.meta.dnssec), c->txt.meta.ttl);
	if (c->rec_st == STS_OK)
		printf(": id=%s\n", c->rec.id);
	else
		printf(": %s\n", c->rec_why);
	for (size_t i = 0; i < c->txt.n; i++)
		printf("          TXT \"%.200s\"\n", c->txt.rr[i].data);
	printf("policy    %s", c->policy_result);
	if (c->fetched) {
		printf(": https://%s/.well-known/mta-sts.txt", f->host);
		if (f->addr[0])
			printf(" via %s", f->addr);
		if (f->tls_version[0])
			printf(", %s", f->tls_version);
		if (f->http_status)
			printf(", HTTP %d", f->http_status);
		printf(", %u ms\n", f->elapsed_ms);
		if (f->policy != NULL) {
			printf("          mode %s, max_age %u, mx:",
			       sts_mode_str(f->policy->mode),
			       f->policy->max_age);
			for (size_t i = 0; i < f->policy->n_mx; i++)
				printf(" %s", f->policy->mx[i]);
			printf("\n");
			/* ignored mx values (issue 13 item 7): the fetch's
			 * why holds one warning per line */
			for (const char *l = f->why, *e; *l != '\0'; l = e) {
				e = strchr(l, '\n');
				if (e == NULL)
					e = l + strlen(l);
				printf("          warning: %.*s\n",
				       (int)(e - l), l);
				if (*e == '\n')
					e++;
			}
		} else {
			printf("          %s (%s)\n", f->why,
			       sts_rpt_str(f->rpt));
		}
	} else {
		printf("\n");
	}
	printf("MX        %s (DNSSEC %s)%s%s%s\n",
	       sts_status_str(c->mx.meta.status),
	       sts_dnssec_str(c->mx.meta.dnssec),
	       c->mx.null_mx ? ", null MX" : "",
	       c->mx.implicit ? ", implicit (no MX record)" : "",
	       c->mx.meta.status == STS_OK ? "" : c->mx.meta.why);
	for (size_t i = 0; c->mi != NULL && i < c->mx.n; i++) {
		const struct mx_info *m = &c->mi[i];

		printf("  %5u %s  policy: %s  TLSA: %s", m->host->pref,
		       m->host->name,
		       f->policy == NULL ? "-"
		       : m->match	 ? "match"
					 : "NO MATCH",
		       sts_dane_state_str(m->dane));
		if (m->probed) {
			printf("  probe: %s", sts_status_str(m->probe.status));
			if (m->probe.status == STS_OK)
				printf(" (%s%s, %s, %u ms)",
				       m->probe.dane ? "DANE, " : "",
				       m->probe.tls_version, m->probe.addr,
				       m->probe.elapsed_ms);
			else
				printf(" at %s: %s (%s, %u ms)",
				       sts_probe_step_str(m->probe.step),
				       m->probe.why, sts_rpt_str(m->probe.rpt),
				       m->probe.elapsed_ms);
		}
		printf("\n");
	}
	printf("report    %s\n", sts_rpt_str(c->rpt));
	printf("verdict   %s\n", c->verdict);
}

static cJSON *
json_meta(cJSON *o, const struct sts_dns_meta *m)
{
	cJSON_AddStringToObject(o, "status", sts_status_str(m->status));
	cJSON_AddStringToObject(o, "dnssec", sts_dnssec_str(m->dnssec));
	cJSON_AddNumberToObject(o, "ttl", m->ttl);
	cJSON_AddStringToObject(o, "why", m->why);
	return o;
}

static int
print_json(const struct check *c)
{
	const struct sts_fetch_result *f = &c->fetch;
	cJSON *o = cJSON_CreateObject(), *rec, *pol, *mx, *hosts, *arr;
	char *s;

	cJSON_AddStringToObject(o, "domain", c->domain);
	rec = cJSON_AddObjectToObject(o, "record");
	cJSON_AddStringToObject(rec, "name", c->txtname);
	json_meta(rec, &c->txt.meta);
	cJSON_AddStringToObject(rec, "result", sts_status_str(c->rec_st));
	cJSON_AddStringToObject(rec, "id",
				c->rec_st == STS_OK ? c->rec.id : "");
	if (c->rec_st != STS_OK)
		cJSON_ReplaceItemInObject(rec, "why",
					  cJSON_CreateString(c->rec_why));
	arr = cJSON_AddArrayToObject(rec, "txt");
	for (size_t i = 0; i < c->txt.n; i++)
		cJSON_AddItemToArray(arr,
				     cJSON_CreateString(c->txt.rr[i].data));

	pol = cJSON_AddObjectToObject(o, "policy");
	cJSON_AddStringToObject(pol, "result", c->policy_result);
	cJSON_AddBoolToObject(pol, "fetched", c->fetched);
	if (c->fetched) {
		cJSON_AddStringToObject(pol, "status",
					sts_status_str(f->status));
		cJSON_AddStringToObject(pol, "rpt", sts_rpt_str(f->rpt));
		cJSON_AddStringToObject(pol, "host", f->host);
		cJSON_AddStringToObject(pol, "address", f->addr);
		cJSON_AddStringToObject(pol, "tls", f->tls_version);
		cJSON_AddNumberToObject(pol, "http_status", f->http_status);
		cJSON_AddNumberToObject(pol, "elapsed_ms", f->elapsed_ms);
		cJSON_AddStringToObject(pol, "why", f->why);
		if (f->policy != NULL) {
			cJSON_AddStringToObject(pol, "mode",
						sts_mode_str(f->policy->mode));
			cJSON_AddNumberToObject(pol, "max_age",
						f->policy->max_age);
			arr = cJSON_AddArrayToObject(pol, "mx");
			for (size_t i = 0; i < f->policy->n_mx; i++)
				cJSON_AddItemToArray(
					arr,
					cJSON_CreateString(f->policy->mx[i]));
		}
	}

	mx = cJSON_AddObjectToObject(o, "mx");
	json_meta(mx, &c->mx.meta);
	cJSON_AddBoolToObject(mx, "null_mx", c->mx.null_mx);
	cJSON_AddBoolToObject(mx, "implicit", c->mx.implicit);
	hosts = cJSON_AddArrayToObject(mx, "hosts");
	for (size_t i = 0; c->mi != NULL && i < c->mx.n; i++) {
		const struct mx_info *m = &c->mi[i];
		cJSON *h = cJSON_CreateObject(), *t, *pr;

		cJSON_AddStringToObject(h, "name", m->host->name);
		cJSON_AddNumberToObject(h, "pref", m->host->pref);
		if (f->policy != NULL)
			cJSON_AddBoolToObject(h, "policy_match", m->match);
		t = cJSON_AddObjectToObject(h, "tlsa");
		json_meta(t, &m->tlsa.meta);
		cJSON_AddStringToObject(t, "dane", sts_dane_state_str(m->dane));
		cJSON_AddNumberToObject(t, "records", (double)m->tlsa.n);
		if (m->probed) {
			pr = cJSON_AddObjectToObject(h, "probe");
			cJSON_AddStringToObject(
				pr, "status", sts_status_str(m->probe.status));
			cJSON_AddStringToObject(pr, "rpt",
						sts_rpt_str(m->probe.rpt));
			cJSON_AddStringToObject(
				pr, "step", sts_probe_step_str(m->probe.step));
			cJSON_AddBoolToObject(pr, "starttls",
					      m->probe.starttls);
			cJSON_AddBoolToObject(pr, "dane", m->probe.dane);
			cJSON_AddStringToObject(pr, "address", m->probe.addr);
			cJSON_AddStringToObject(pr, "banner", m->probe.banner);
			cJSON_AddStringToObject(pr, "tls",
						m->probe.tls_version);
			cJSON_AddStringToObject(pr, "cipher", m->probe.cipher);
			cJSON_AddNumberToObject(pr, "elapsed_ms",
						m->probe.elapsed_ms);
			cJSON_AddStringToObject(pr, "why", m->probe.why);
		}
		cJSON_AddItemToArray(hosts, h);
	}
	cJSON_AddStringToObject(o, "rpt", sts_rpt_str(c->rpt));
	cJSON_AddStringToObject(o, "action", c->action);
	cJSON_AddStringToObject(o, "verdict", c->verdict);
	cJSON_AddNumberToObject(o, "exit", c->exit);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (s == NULL)
		return EX_SOFTWARE;
	puts(s);
	cJSON_free(s);
	return EX_OK;
}

static void
check_free(struct check *c)
{
	for (size_t i = 0; c->mi != NULL && i < c->mx.n; i++)
		sts_resolver_tlsa_clear(&c->mi[i].tlsa);
	free(c->mi);
	sts_resolver_mx_clear(&c->mx);
	sts_fetch_result_clear(&c->fetch);
	sts_resolver_txt_clear(&c->txt);
	sts_tls_free(c->tls);
	sts_resolver_free(c->r);
}

int
check_live_main(int argc, char **argv)
{
	struct check c;
	char why[STS_WHY_MAX];
	enum sts_status st;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = parse_opts(argc, argv, &c.o);
	if (rc != EX_OK)
		goto out;
	st = sts_domain_normalize(c.o.domain, c.domain, why, sizeof(why));
	if (st != STS_OK) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], c.o.domain,
			st == STS_NOTFOUND ? "address literals have no policy"
					   : why);
		rc = st == STS_NOTFOUND ? EXIT_NOPOLICY : EX_USAGE;
		goto out;
	}
	st = sts_resolver_new(&c.o.rc, &c.r, why, sizeof(why));
	if (st == STS_OK)
		st = sts_tls_new(c.o.ca_file, &c.tls, why, sizeof(why));
	if (st != STS_OK) {
		fprintf(stderr, "%s: %s\n", argv[0], why);
		check_free(&c);
		rc = EX_CONFIG;
		goto out;
	}
	check_record(&c);
	check_policy(&c);
	check_mx(&c);
	(void)decide(&c);
	rc = c.o.json ? print_json(&c) : (print_text(&c), EX_OK);
	if (rc == EX_OK)
		rc = c.exit;
	check_free(&c);
out:
	conf_unref(c.o.conf);
	return rc;
}
