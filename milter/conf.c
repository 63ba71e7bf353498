/*
 * milter/conf.c - table-driven configuration reader (see conf.h).
 *
 * Every option is one row of opts[]: its name, how its value is parsed,
 * where it is stored, its default (as text, parsed by the same code, so
 * a default can never be an invalid value), and whether a change needs
 * a restart.  The man page mta-sts-milter.conf(5) follows this table.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "sockspec.h"
#include "sts_file.h"
#include "sts_redis.h"

enum otype {
	O_STR,	  /* any non-empty string, "" allowed via default only */
	O_PATH,	  /* absolute path */
	O_SOCK,	  /* milter socket spec */
	O_BOOL,	  /* yes/no, on/off, true/false, 1/0 */
	O_UINT,	  /* decimal, within [min, max] */
	O_MS,	  /* duration: N (seconds), Ns or Nms -> milliseconds */
	O_SECS,	  /* duration: N or Ns or Nm or Nh -> seconds */
	O_ACTION, /* accept / tag / tempfail / reject */
	O_LEVEL,  /* log level name */
	O_OCTAL,  /* file mode bits, e.g. 0660 */
	O_HEADER, /* RFC 5322 field name */
	O_NAMES,  /* space/comma separated words (map names) */
	O_REDIS,  /* redis://... or unix:/... (sts_redis.h) */
	O_AF,	  /* auto / all / ipv4 / ipv6 (sts_af.h) */
};

#define RESTART 1u  /* a change takes effect only at restart */
#define EMPTY_OK 2u /* "" (or "none") switches the feature off */
#define MULTI 4u    /* O_SOCK: up to CONF_MAX_MAP_SOCKETS of them */

struct opt {
	const char *name;
	enum otype type;
	size_t off;
	const char *def;
	unsigned long min, max;
	unsigned flags;
};

#define F(field) offsetof(struct conf, field)

static const struct opt opts[] = {
	{"Socket", O_SOCK, F(socket), "inet:8891@127.0.0.1", 0, 0, RESTART},
	{"MapSocket", O_SOCK, F(map_socket), "", 0, 0,
	 RESTART | EMPTY_OK | MULTI},
	{"MapNames", O_NAMES, F(map_names), "", 0, 0, RESTART | EMPTY_OK},
	{"EximSocket", O_SOCK, F(exim_socket), "", 0, 0, RESTART | EMPTY_OK},
	{"MapPostfixSTS", O_BOOL, F(map_postfix_sts), "no", 0, 0, RESTART},
	{"MetricsSocket", O_SOCK, F(metrics_socket), "", 0, 0,
	 RESTART | EMPTY_OK},
	{"ControlSocket", O_SOCK, F(control_socket), "", 0, 0,
	 RESTART | EMPTY_OK},
	/* issue [harden]: the map's bounds (milter/mapconn.h) */
	{"MapMaxConnections", O_UINT, F(map_max_conns), "1024", 1, 1000000,
	 RESTART},
	{"MapIdleTimeout", O_MS, F(map_idle_ms), "60s", 1000, 86400000,
	 RESTART},
	{"MapRequestTimeout", O_MS, F(map_request_ms), "10s", 100, 600000,
	 RESTART},
	{"MapSocketMode", O_OCTAL, F(map_socket_mode), "0660", 0, 0777,
	 RESTART},
	/* libmilter's smfi_settimeout(): an idle MTA connection is closed
	 * after this; above Postfix's smtpd_timeout (300 s). */
	{"MilterTimeout", O_SECS, F(milter_timeout), "10m", 1, 86400, RESTART},
	{"UserID", O_STR, F(user), "", 0, 0, RESTART | EMPTY_OK},
	{"PidFile", O_PATH, F(pid_file), "", 0, 0, RESTART | EMPTY_OK},
	{"UMask", O_OCTAL, F(umask), "007", 0, 0777, RESTART},
	{"SocketMode", O_OCTAL, F(socket_mode), "0660", 0, 0777, RESTART},
	{"LogLevel", O_LEVEL, F(log_level), "info", 0, 0, 0},
	{"StateFile", O_PATH, F(state_file), "", 0, 0, RESTART | EMPTY_OK},
	{"OverrideFile", O_PATH, F(override_file), "", 0, 0,
	 RESTART | EMPTY_OK},
	{"TrustAnchorFile", O_PATH, F(trust_anchor_file),
	 "/usr/share/dns/root.key", 0, 0, RESTART | EMPTY_OK},
	{"UnboundConfig", O_PATH, F(unbound_conf), "", 0, 0,
	 RESTART | EMPTY_OK},
	{"ResolvConf", O_PATH, F(resolv_conf), "", 0, 0, RESTART | EMPTY_OK},
	{"Forwarders", O_NAMES, F(forwarders), "", 0, 0, RESTART | EMPTY_OK},
	{"CAFile", O_PATH, F(ca_file), "/etc/ssl/certs/ca-certificates.crt", 0,
	 0, RESTART},
	{"DNSTimeout", O_MS, F(dns_timeout_ms), "3s", 100, 60000, RESTART},
	/* A and/or AAAA; auto: those this host can use (AI_ADDRCONFIG) */
	{"AddressFamilies", O_AF, F(address_families), "auto", 0, 0, RESTART},
	{"FetchTimeout", O_MS, F(fetch_timeout_ms), "10s", 100, 60000, RESTART},
	{"LookupDeadline", O_MS, F(lookup_deadline_ms), "3s", 0, 25000, 0},
	{"Probe", O_BOOL, F(probe), "yes", 0, 0, RESTART},
	{"ProbeTimeout", O_MS, F(probe_timeout_ms), "5s", 100, 60000, RESTART},
	{"ProbeCacheTTL", O_SECS, F(probe_cache_ttl), "10m", 1, 86400, RESTART},
	{"CacheSize", O_UINT, F(cache_size), "10000", 1, 10000000, RESTART},
	{"NegativeTTL", O_SECS, F(negative_ttl), "5m", 0, 86400, RESTART},
	/* RFC 8461 3.3 (checklist C8): at most one fetch per 5 minutes. */
	{"FailureBackoff", O_SECS, F(failure_backoff), "5m", 300, 86400,
	 RESTART},
	/* RFC 8461 5.1 step 3, 8.3: a new policy id is seen within this. */
	{"RecheckInterval", O_SECS, F(recheck_interval), "1m", 1, 3600,
	 RESTART},
	{"Workers", O_UINT, F(workers), "4", 1, 64, RESTART},
	{"Relayhost", O_STR, F(relayhost), "", 0, 0, RESTART | EMPTY_OK},
	/* Issue 14 item 2: only recipients that leave by SMTP are checked
	 * ({rcpt_mailer}: Postfix transport, sendmail mailer). */
	{"CheckMailers", O_NAMES, F(check_mailers),
	 "smtp relay esmtp smtp8 dsmtp", 0, 0, EMPTY_OK},
	{"LocalDomains", O_NAMES, F(local_domains), "", 0, 0, EMPTY_OK},
	{"On-EnforceFailure", O_ACTION, F(react.enforce_failure), "tempfail", 0,
	 0, RESTART},
	/* RFC 8461 5: a testing policy never stops delivery. */
	{"On-TestingFailure", O_ACTION, F(react.testing_failure), "tag", 0,
	 STS_VERDICT_TAG, RESTART},
	/* Checklist B7: not knowing is never a reason for a 5xx. */
	{"On-TempError", O_ACTION, F(react.temp_error), "tag", 0,
	 STS_VERDICT_DEFER, RESTART},
	{"On-DNSSECBogus", O_ACTION, F(react.dnssec_bogus), "tempfail", 0, 0,
	 RESTART},
	{"On-NullMX", O_ACTION, F(react.null_mx), "accept", 0, 0, RESTART},
	{"HeaderName", O_HEADER, F(header_name), "X-MTA-STS", 0, 0, 0},
	/* the optional shared cache tier (doc/fleet.md) */
	{"SharedCache", O_REDIS, F(shared_cache), "", 0, 0, RESTART | EMPTY_OK},
	{"SharedCachePasswordFile", O_PATH, F(shared_password_file), "", 0, 0,
	 RESTART | EMPTY_OK},
	{"SharedCacheTimeout", O_MS, F(shared_timeout_ms), "500ms", 10, 5000,
	 RESTART},
	/* TLS reports (RFC 8460): milter/tlsrpt.h, doc/tlsrpt.md */
	{"TLSRPTJournal", O_PATH, F(tlsrpt_journal), "", 0, 0,
	 RESTART | EMPTY_OK},
	{"TLSRPTSocket", O_STR, F(tlsrpt_socket), "", 0, 0, RESTART | EMPTY_OK},
	{"TLSRPTOrganization", O_STR, F(tlsrpt_org), "", 0, 0,
	 RESTART | EMPTY_OK},
	{"TLSRPTContact", O_STR, F(tlsrpt_contact), "", 0, 0,
	 RESTART | EMPTY_OK},
	{"TLSRPTSubmitter", O_STR, F(tlsrpt_submitter), "", 0, 0,
	 RESTART | EMPTY_OK},
	{"TLSRPTSendmail", O_PATH, F(tlsrpt_sendmail), "/usr/sbin/sendmail", 0,
	 0, RESTART},
	{"TLSRPTSendmailTimeout", O_SECS, F(tlsrpt_sendmail_timeout), "60", 1,
	 3600, RESTART},
	{"TLSRPTSend", O_BOOL, F(tlsrpt_send), "yes", 0, 0, RESTART},
	{"TLSRPTSendToday", O_BOOL, F(tlsrpt_send_today), "no", 0, 0, RESTART},
	{"TLSRPTSendDelay", O_SECS, F(tlsrpt_send_delay), "1h", 0, 43200,
	 RESTART},
	{"TLSRPTMaxDomains", O_UINT, F(tlsrpt_max_domains), "10000", 1, 1000000,
	 RESTART},
	{"TLSRPTMaxDetails", O_UINT, F(tlsrpt_max_details), "100", 1, 10000,
	 RESTART},
};
#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static const struct {
	const char *name;
	enum sts_verdict v;
} actions[] = {
	{"accept", STS_VERDICT_PASS},
	{"tag", STS_VERDICT_TAG},
	{"tempfail", STS_VERDICT_DEFER},
	{"reject", STS_VERDICT_REJECT},
};

const char *
conf_action_str(enum sts_verdict v)
{
	size_t i;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].v == v)
			return actions[i].name;
	return "?";
}

static bool
is_string(const struct opt *o)
{
	return o->type == O_STR || o->type == O_PATH || o->type == O_SOCK ||
	       o->type == O_HEADER || o->type == O_NAMES || o->type == O_REDIS;
}

/* The size of a non-string field (for comparing snapshots). */
static size_t
scalar_size(const struct opt *o)
{
	switch (o->type) {
	case O_BOOL:
		return sizeof(bool);
	case O_UINT:
		return o->off == F(cache_size) ? sizeof(size_t)
					       : sizeof(unsigned);
	case O_ACTION:
		return sizeof(enum sts_verdict);
	case O_OCTAL:
		return o->off == F(umask) ? sizeof(mode_t) : sizeof(int);
	case O_LEVEL:
		return sizeof(int);
	case O_AF:
		return sizeof(enum sts_af);
	default:
		return sizeof(unsigned);
	}
}

static char **
str_field(struct conf *c, const struct opt *o)
{
	return (char **)(void *)((char *)c + o->off);
}

static int bad(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
bad(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Decimal unsigned without sign, spaces or overflow; *endp = rest. */
static int
parse_ulong(const char *s, unsigned long *out, const char **endp)
{
	unsigned long v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (ULONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	*endp = p;
	return 0;
}

static int
parse_duration(const struct opt *o, const char *s, unsigned long *out,
	       char *why, size_t whylen)
{
	unsigned long v, mul;
	const char *rest;

	if (parse_ulong(s, &v, &rest) != 0)
		return bad(why, whylen, "%s: not a duration: \"%s\"", o->name,
			   s);
	if (o->type == O_MS) {
		if (*rest == '\0' || strcmp(rest, "s") == 0)
			mul = 1000;
		else if (strcmp(rest, "ms") == 0)
			mul = 1;
		else
			return bad(why, whylen,
				   "%s: unit must be s or ms: \"%s\"", o->name,
				   s);
	} else {
		if (*rest == '\0' || strcmp(rest, "s") == 0)
			mul = 1;
		else if (strcmp(rest, "m") == 0)
			mul = 60;
		else if (strcmp(rest, "h") == 0)
			mul = 3600;
		else
			return bad(why, whylen,
				   "%s: unit must be s, m or h: \"%s\"",
				   o->name, s);
	}
	if (v > ULONG_MAX / mul)
		return bad(why, whylen, "%s: out of range: \"%s\"", o->name, s);
	v *= mul;
	if (v < o->min || v > o->max)
		return bad(why, whylen, "%s: %s is outside %lu..%lu %s",
			   o->name, s, o->min, o->max,
			   o->type == O_MS ? "ms" : "seconds");
	*out = v;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *yes[] = {"yes", "on", "true", "1"};
	static const char *no[] = {"no", "off", "false", "0"};
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

bool
conf_next_word(const char **p, char *buf, size_t buflen)
{
	size_t n;

	*p += strspn(*p, " \t,");
	n = strcspn(*p, " \t,");
	if (n == 0 || n >= buflen)
		return false;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	*p += n;
	return true;
}

/* Every socket of an O_SOCK value (one, or a list with MULTI). */
static int
check_socks(const struct opt *o, const char *s, char *why, size_t whylen)
{
	char spec[CONF_MAX_LINE], tmp[STS_WHY_MAX];
	const char *p = s;
	unsigned n = 0;

	if (!(o->flags & MULTI))
		p = "";
	while (conf_next_word(&p, spec, sizeof(spec))) {
		if (++n > CONF_MAX_MAP_SOCKETS)
			return bad(why, whylen, "%s: more than %d sockets",
				   o->name, CONF_MAX_MAP_SOCKETS);
		if (sockspec_check(spec, tmp, sizeof(tmp)) != 0)
			return bad(why, whylen, "%s: %s", o->name, tmp);
	}
	if (!(o->flags & MULTI) && sockspec_check(s, tmp, sizeof(tmp)) != 0)
		return bad(why, whylen, "%s: %s", o->name, tmp);
	return 0;
}

static int
set_string(struct conf *c, const struct opt *o, const char *s, char *why,
	   size_t whylen)
{
	char **dst = str_field(c, o);
	char *dup;

	if (*s == '\0' || strcasecmp(s, "none") == 0) {
		if (!(o->flags & EMPTY_OK) && *s != '\0')
			return bad(why, whylen, "%s: a value is required",
				   o->name);
		free(*dst);
		*dst = NULL;
		return 0;
	}
	if (o->type == O_PATH && s[0] != '/')
		return bad(why, whylen, "%s: not an absolute path: \"%s\"",
			   o->name, s);
	if (o->type == O_SOCK && check_socks(o, s, why, whylen) != 0)
		return -1;
	if (o->type == O_REDIS) {
		struct sts_redis_url u;
		char tmp[STS_WHY_MAX];

		/* the reason never quotes the URL: it may hold a password */
		if (sts_redis_url_parse(s, &u, tmp, sizeof(tmp)) != STS_OK)
			return bad(why, whylen, "%s: %s", o->name, tmp);
		explicit_bzero(&u, sizeof(u));
	}
	if (o->type == O_HEADER) {
		const char *q;

		/* RFC 5322 3.6.8: ftext is %d33-57 / %d59-126. */
		for (q = s; *q != '\0'; q++)
			if (*q < 33 || *q > 126 || *q == ':')
				return bad(
					why, whylen,
					"%s: not a header field name: \"%s\"",
					o->name, s);
		if (q - s > 64)
			return bad(why, whylen, "%s: longer than 64 bytes",
				   o->name);
	}
	dup = strdup(s);
	if (dup == NULL)
		return bad(why, whylen, "out of memory");
	free(*dst);
	*dst = dup;
	return 0;
}

/* Parse value s for option o into c.  0, or -1 with a reason. */
static int
set_option(struct conf *c, const struct opt *o, const char *s, char *why,
	   size_t whylen)
{
	void *field = (char *)c + o->off;
	unsigned long v = 0;
	const char *rest;
	size_t i;
	int lvl;
	bool b;

	if (is_string(o))
		return set_string(c, o, s, why, whylen);
	switch (o->type) {
	case O_BOOL:
		if (parse_bool(s, &b) != 0)
			return bad(why, whylen,
				   "%s: expected yes or no, not \"%s\"",
				   o->name, s);
		*(bool *)field = b;
		return 0;
	case O_UINT:
		if (parse_ulong(s, &v, &rest) != 0 || *rest != '\0')
			return bad(why, whylen, "%s: not a number: \"%s\"",
				   o->name, s);
		if (v < o->min || v > o->max)
			return bad(why, whylen, "%s: %s is outside %lu..%lu",
				   o->name, s, o->min, o->max);
		if (o->off == F(cache_size))
			*(size_t *)field = v;
		else
			*(unsigned *)field = (unsigned)v;
		return 0;
	case O_MS:
	case O_SECS:
		if (parse_duration(o, s, &v, why, whylen) != 0)
			return -1;
		*(unsigned *)field = (unsigned)v;
		return 0;
	case O_ACTION:
		for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
			if (strcasecmp(s, actions[i].name) != 0)
				continue;
			if (o->max != 0 && actions[i].v > o->max)
				return bad(why, whylen,
					   "%s: %s is not allowed here (at "
					   "most %s)",
					   o->name, actions[i].name,
					   conf_action_str(o->max));
			*(enum sts_verdict *)field = actions[i].v;
			return 0;
		}
		return bad(why, whylen,
			   "%s: expected accept, tag, tempfail or reject, not "
			   "\"%s\"",
			   o->name, s);
	case O_LEVEL:
		lvl = log_level_parse(s);
		if (lvl < 0)
			return bad(why, whylen,
				   "%s: expected debug, info, notice, warning "
				   "or error, not \"%s\"",
				   o->name, s);
		*(int *)field = lvl;
		return 0;
	case O_AF:
		if (sts_af_parse(s, (enum sts_af *)field) != STS_OK)
			return bad(why, whylen,
				   "%s: expected auto, all, ipv4 or ipv6, not "
				   "\"%s\"",
				   o->name, s);
		return 0;
	case O_OCTAL:
		v = 0;
		for (rest = s; *rest >= '0' && *rest <= '7'; rest++)
			v = v * 8 + (unsigned long)(*rest - '0');
		if (rest == s || *rest != '\0' || rest - s > 4 || v > o->max)
			return bad(why, whylen, "%s: not an octal mode: \"%s\"",
				   o->name, s);
		if (o->off == F(umask))
			*(mode_t *)field = (mode_t)v;
		else
			*(int *)field = (int)v;
		return 0;
	default:
		break;
	}
	return bad(why, whylen, "%s: internal error", o->name);
}

static struct conf *
conf_alloc(void)
{
	struct conf *c = calloc(1, sizeof(*c));
	char why[STS_WHY_MAX];
	size_t i;

	if (c == NULL)
		return NULL;
	atomic_init(&c->refs, 1);
	for (i = 0; i < NOPTS; i++) {
		if (set_option(c, &opts[i], opts[i].def, why, sizeof(why)) !=
		    0) {
			/* A default that does not parse is a bug in opts[]. */
			fprintf(stderr, "internal: default of %s: %s\n",
				opts[i].name, why);
			abort();
		}
	}
	return c;
}

struct conf *
conf_defaults(void)
{
	return conf_alloc();
}

static void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (is_string(&opts[i]))
			free(*str_field(c, &opts[i]));
	free(c->file);
	free(c);
}

struct conf *
conf_ref(struct conf *c)
{
	if (c != NULL)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

void
conf_unref(struct conf *c)
{
	if (c != NULL && atomic_fetch_sub(&c->refs, 1) == 1)
		conf_free(c);
}

static const struct opt *
find_opt(const char *name)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (strcasecmp(name, opts[i].name) == 0)
			return &opts[i];
	return NULL;
}

/* Record one problem: to errs, and the first one into why. */
static void
problem(FILE *errs, int *nerr, char *why, size_t whylen, const char *file,
	size_t line, const char *msg)
{
	if (errs != NULL)
		fprintf(errs, "%s:%zu: %s\n", file, line, msg);
	if ((*nerr)++ == 0)
		snprintf(why, whylen, "%s:%zu: %s", file, line, msg);
}

/* Parse one logical line (NUL-terminated, no newline) into c. */
static void
conf_line(struct conf *c, char *s, bool *seen, FILE *errs, int *nerr, char *why,
	  size_t whylen, const char *file, size_t lineno)
{
	char msg[STS_WHY_MAX + 64], *name, *val, *end, *hash;
	const struct opt *o;

	/* "#" starts a comment at the start of a line or after a blank. */
	for (hash = s; (hash = strchr(hash, '#')) != NULL; hash++)
		if (hash == s || hash[-1] == ' ' || hash[-1] == '\t') {
			*hash = '\0';
			break;
		}
	name = s + strspn(s, " \t");
	end = name + strlen(name);
	while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (*name == '\0')
		return;
	val = name + strcspn(name, " \t");
	if (*val != '\0') {
		*val++ = '\0';
		val += strspn(val, " \t");
	}
	o = find_opt(name);
	if (o == NULL) {
		snprintf(msg, sizeof(msg), "unknown option \"%.64s\"", name);
		problem(errs, nerr, why, whylen, file, lineno, msg);
		return;
	}
	if (seen[o - opts]) {
		snprintf(msg, sizeof(msg), "%s given twice", o->name);
		problem(errs, nerr, why, whylen, file, lineno, msg);
		return;
	}
	seen[o - opts] = true;
	if (*val == '\0' && !(o->flags & EMPTY_OK)) {
		snprintf(msg, sizeof(msg), "%s: a value is required", o->name);
		problem(errs, nerr, why, whylen, file, lineno, msg);
		return;
	}
	if (set_option(c, o, val, msg, sizeof(msg)) != 0)
		problem(errs, nerr, why, whylen, file, lineno, msg);
}

struct conf *
conf_load(const char *file, FILE *errs, char *why, size_t whylen)
{
	bool seen[NOPTS] = {false};
	char *line = NULL, msg[STS_WHY_MAX * 2];
	size_t lineno = 0, cap = 0, total = 0;
	enum sts_status st;
	ssize_t got;
	struct conf *c;
	int nerr = 0;
	FILE *f;

	/* A regular file of at most CONF_MAX_FILE bytes: -c /dev/zero or a
	 * FIFO fails at once instead of eating memory or blocking. */
	st = sts_file_open(file, CONF_MAX_FILE, "configuration file", &f, msg,
			   sizeof(msg));
	if (st != STS_OK) {
		if (st != STS_INVALID) /* open(2) failed: errno says why */
			snprintf(msg, sizeof(msg), "cannot open: %s",
				 strerror(errno));
		problem(errs, &nerr, why, whylen, file, 0, msg);
		return NULL;
	}
	c = conf_alloc();
	if (c == NULL || (c->file = strdup(file)) == NULL) {
		fclose(f);
		conf_unref(c);
		snprintf(why, whylen, "%s: out of memory", file);
		return NULL;
	}
	while ((got = getline(&line, &cap, f)) != -1) {
		size_t n = (size_t)got;

		lineno++;
		total += n;
		if (total > CONF_MAX_FILE) { /* it grew since it was opened */
			problem(errs, &nerr, why, whylen, file, lineno,
				"file larger than the cap of " CONF_MAX_FILE_S
				" bytes");
			break;
		}
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n > CONF_MAX_LINE) {
			problem(errs, &nerr, why, whylen, file, lineno,
				"line longer than the cap of 4096 bytes");
			continue;
		}
		if (strlen(line) != n) {
			problem(errs, &nerr, why, whylen, file, lineno,
				"NUL byte in line");
			continue;
		}
		conf_line(c, line, seen, errs, &nerr, why, whylen, file,
			  lineno);
	}
	free(line);
	if (ferror(f))
		problem(errs, &nerr, why, whylen, file, lineno, "read error");
	fclose(f);
	if (nerr > 0) {
		conf_unref(c);
		return NULL;
	}
	return c;
}

static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf *cur;

struct conf *
conf_current(void)
{
	struct conf *c;

	pthread_mutex_lock(&cur_lock);
	c = conf_ref(cur);
	pthread_mutex_unlock(&cur_lock);
	return c;
}

void
conf_install(struct conf *c)
{
	struct conf *old;

	pthread_mutex_lock(&cur_lock);
	old = cur;
	cur = c;
	pthread_mutex_unlock(&cur_lock);
	conf_unref(old);
}

void
conf_engine(const struct conf *c, struct sts_engine_conf *ec)
{
	sts_engine_conf_defaults(ec);
	ec->trust_anchor_file = c->trust_anchor_file;
	ec->unbound_conf = c->unbound_conf;
	ec->resolv_conf = c->resolv_conf;
	ec->forwarders = c->forwarders;
	ec->dns_timeout_ms = c->dns_timeout_ms;
	ec->families = c->address_families;
	ec->ca_file = c->ca_file;
	ec->fetch_timeout_ms = c->fetch_timeout_ms;
	ec->probe = c->probe;
	ec->probe_timeout_ms = c->probe_timeout_ms;
	ec->probe_cache_ttl = c->probe_cache_ttl;
	ec->cache_max = c->cache_size;
	ec->negative_ttl = c->negative_ttl;
	ec->failure_backoff = c->failure_backoff;
	ec->recheck = c->recheck_interval;
	ec->workers = c->workers;
	ec->state_file = c->state_file;
	ec->override_file = c->override_file;
	ec->relayhost = c->relayhost;
	ec->react = c->react;
	ec->shared_cache = c->shared_cache;
	ec->shared_timeout_ms = c->shared_timeout_ms;
	/* shared_password: read by main.c from shared_password_file */
}

static bool
field_differs(const struct conf *a, const struct conf *b, const struct opt *o)
{
	const char *pa = (const char *)a + o->off,
		   *pb = (const char *)b + o->off;
	const char *sa, *sb;

	if (!is_string(o))
		return memcmp(pa, pb, scalar_size(o)) != 0;
	sa = *(char *const *)(const void *)pa;
	sb = *(char *const *)(const void *)pb;
	if (sa == NULL || sb == NULL)
		return sa != sb;
	return strcmp(sa, sb) != 0;
}

void
conf_restart_diff(const struct conf *a, const struct conf *b, char *buf,
		  size_t buflen)
{
	size_t i, len = 0;

	if (buflen == 0)
		return;
	buf[0] = '\0';
	for (i = 0; i < NOPTS; i++) {
		int n;

		if (!(opts[i].flags & RESTART) ||
		    !field_differs(a, b, &opts[i]))
			continue;
		n = snprintf(buf + len, buflen - len, "%s%s", len ? " " : "",
			     opts[i].name);
		if (n < 0 || (size_t)n >= buflen - len)
			break;
		len += (size_t)n;
	}
}
