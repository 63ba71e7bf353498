/*
 * sts_override.c - override files: parse once into an immutable,
 * reference-counted table (see sts_override.h for the file format).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sts_domain.h"
#include "sts_file.h"
#include "sts_override.h"

struct rule {
	struct rule *next; /* hash chain */
	uint32_t hash;
	struct sts_override_rule pub;
	struct sts_policy *pin;
	char key[]; /* "example.com" or ".example.com" */
};

struct sts_override {
	unsigned refs; /* atomic */
	struct rule **tab;
	size_t mask, n_rules;
	char **exempt; /* "user@example.com" or "@example.com", lower case */
	size_t n_exempt, cap_exempt;
};

static const char *const action_names[] = {
	[STS_OV_NONE] = "none",	      [STS_OV_SKIP] = "skip",
	[STS_OV_TESTING] = "testing", [STS_OV_ENFORCE] = "enforce",
	[STS_OV_DEFER] = "defer",     [STS_OV_REJECT] = "reject",
	[STS_OV_POLICY] = "policy",
};

const char *
sts_override_action_str(enum sts_override_action a)
{
	if ((unsigned)a > STS_OV_POLICY)
		return "unknown";
	return action_names[a];
}

static uint32_t
hash_key(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

struct sts_override *
sts_override_ref(struct sts_override *t)
{
	if (t != NULL)
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void
sts_override_unref(struct sts_override *t)
{
	size_t i;
	struct rule *r, *next;

	if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	for (i = 0; t->tab != NULL && i <= t->mask; i++)
		for (r = t->tab[i]; r != NULL; r = next) {
			next = r->next;
			sts_policy_free(r->pin);
			free(r);
		}
	for (i = 0; i < t->n_exempt; i++)
		free(t->exempt[i]);
	free(t->exempt);
	free(t->tab);
	free(t);
}

size_t
sts_override_count(const struct sts_override *t)
{
	return t == NULL ? 0 : t->n_rules + t->n_exempt;
}

static struct rule *
find_key(const struct sts_override *t, const char *key)
{
	uint32_t h = hash_key(key);
	struct rule *r;

	for (r = t->tab[h & t->mask]; r != NULL; r = r->next)
		if (r->hash == h && strcmp(r->key, key) == 0)
			return r;
	return NULL;
}

const struct sts_override_rule *
sts_override_find(const struct sts_override *t, const char *domain)
{
	const char *p;
	struct rule *r;

	if (t == NULL || t->n_rules == 0)
		return NULL;
	r = find_key(t, domain);
	if (r != NULL)
		return &r->pub;
	/* ".b.example.com", then ".example.com", ...: most specific first */
	for (p = strchr(domain, '.'); p != NULL; p = strchr(p + 1, '.')) {
		r = find_key(t, p);
		if (r != NULL)
			return &r->pub;
	}
	return NULL;
}

bool
sts_override_exempt(const struct sts_override *t, const char *sender)
{
	char buf[STS_MAX_DOMAIN_INPUT + 1];
	const char *at;
	size_t n, i;

	if (t == NULL || t->n_exempt == 0 || sender == NULL)
		return false;
	if (sender[0] == '<')
		sender++;
	n = strcspn(sender, ">");
	if (n == 0 || n >= sizeof(buf))
		return false;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)sender[i]);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '.')
		buf[--n] = '\0';
	at = strrchr(buf, '@');
	if (at == NULL)
		return false;
	for (i = 0; i < t->n_exempt; i++) {
		if (t->exempt[i][0] == '@' ? strcmp(t->exempt[i], at) == 0
					   : strcmp(t->exempt[i], buf) == 0)
			return true;
	}
	return false;
}

/* --- parsing ------------------------------------------------------------ */

#define MAX_TOKENS 8

struct parser {
	struct sts_override *t;
	const char *name;
	unsigned line;
	char *why;
	size_t whylen;
};

static enum sts_status perr(struct parser *p, enum sts_status st,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum sts_status
perr(struct parser *p, enum sts_status st, const char *fmt, ...)
{
	char msg[STS_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sts_why(p->why, p->whylen, st, "%s:%u: %s", p->name, p->line,
		       msg);
}

static bool
grow_tab(struct sts_override *t)
{
	size_t n = (t->mask + 1) * 2, i;
	struct rule **tab, *r, *next;

	tab = calloc(n, sizeof(*tab));
	if (tab == NULL)
		return false;
	for (i = 0; i <= t->mask; i++)
		for (r = t->tab[i]; r != NULL; r = next) {
			next = r->next;
			r->next = tab[r->hash & (n - 1)];
			tab[r->hash & (n - 1)] = r;
		}
	free(t->tab);
	t->tab = tab;
	t->mask = n - 1;
	return true;
}

static enum sts_status
add_exempt(struct parser *p, int ntok, char **tok)
{
	struct sts_override *t = p->t;
	char dom[STS_DOMAIN_BUFSZ], w[STS_WHY_MAX], *s, *at, **nv;
	size_t i, n;

	if (ntok != 2)
		return perr(p, STS_INVALID,
			    "exempt-sender takes one ADDRESS or @DOMAIN");
	s = tok[1];
	n = strlen(s);
	if (s[0] == '<' && n > 1 && s[n - 1] == '>') {
		s[n - 1] = '\0';
		s++;
	}
	at = strrchr(s, '@');
	if (at == NULL || at[1] == '\0')
		return perr(p, STS_INVALID,
			    "exempt-sender %s: need ADDRESS or "
			    "@DOMAIN",
			    tok[1]);
	if (sts_domain_normalize(at + 1, dom, w, sizeof(w)) != STS_OK)
		return perr(p, STS_INVALID, "exempt-sender %s: %s", tok[1], w);
	for (i = 0; s + i < at; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (t->n_exempt == t->cap_exempt) {
		n = t->cap_exempt ? t->cap_exempt * 2 : 8;
		nv = realloc(t->exempt, n * sizeof(*nv));
		if (nv == NULL)
			return perr(p, STS_NOMEM, "out of memory");
		t->exempt = nv;
		t->cap_exempt = n;
	}
	n = (size_t)(at - s) + 1 + strlen(dom) + 1;
	t->exempt[t->n_exempt] = malloc(n);
	if (t->exempt[t->n_exempt] == NULL)
		return perr(p, STS_NOMEM, "out of memory");
	snprintf(t->exempt[t->n_exempt], n, "%.*s@%s", (int)(at - s), s, dom);
	t->n_exempt++;
	return STS_OK;
}

/* "policy mode=enforce|testing mx=P[,P...] [max_age=N]"; mx has room for
 * every pattern (counted by parse_pin()). */
static enum sts_status
parse_pin_into(struct parser *p, int ntok, char **tok, struct sts_policy **out,
	       const char **mx)
{
	size_t n_mx = 0;
	int i, have_mode = 0;
	enum sts_mode mode = STS_MODE_ENFORCE;
	unsigned long max_age = 86400;
	char *s, *end, w[STS_WHY_MAX];
	enum sts_status st;

	for (i = 2; i < ntok; i++) {
		s = tok[i];
		if (strncmp(s, "mode=", 5) == 0) {
			if (strcmp(s + 5, "enforce") == 0)
				mode = STS_MODE_ENFORCE;
			else if (strcmp(s + 5, "testing") == 0)
				mode = STS_MODE_TESTING;
			else
				return perr(p, STS_INVALID,
					    "policy: mode must be enforce or "
					    "testing, not \"%s\"",
					    s + 5);
			have_mode = 1;
		} else if (strncmp(s, "mx=", 3) == 0) {
			for (s += 3; s != NULL; s = end) {
				end = s + strcspn(s, ",");
				if (*end == ',')
					*end++ = '\0';
				else
					end = NULL;
				if (*s == '\0')
					return perr(p, STS_INVALID,
						    "policy: empty mx pattern");
				for (char *c = s; *c != '\0'; c++)
					*c = (char)tolower((unsigned char)*c);
				mx[n_mx++] = s;
			}
		} else if (strncmp(s, "max_age=", 8) == 0) {
			errno = 0;
			max_age = strtoul(s + 8, &end, 10);
			if (errno != 0 || *end != '\0' || end == s + 8 ||
			    max_age > STS_MAX_MAX_AGE)
				return perr(p, STS_INVALID,
					    "policy: bad max_age \"%s\"",
					    s + 8);
		} else {
			return perr(p, STS_INVALID,
				    "policy: unknown argument \"%s\"", s);
		}
	}
	if (!have_mode)
		return perr(p, STS_INVALID, "policy: mode= is required");
	if (n_mx == 0)
		return perr(p, STS_INVALID, "policy: mx= is required");
	st = sts_policy_new(mode, (uint32_t)max_age, mx, n_mx, out, w,
			    sizeof(w));
	if (st != STS_OK)
		return perr(p, st, "policy: %s", w);
	return STS_OK;
}

/* No mx count cap (issue 13 item 7): the line length bounds it. */
static enum sts_status
parse_pin(struct parser *p, int ntok, char **tok, struct sts_policy **out)
{
	const char **mx;
	size_t n = 1;
	enum sts_status st;

	for (int i = 2; i < ntok; i++)
		if (strncmp(tok[i], "mx=", 3) == 0)
			for (const char *c = tok[i]; *c != '\0'; c++)
				n += *c == ',' ? 1 : 0;
	n += (size_t)ntok;
	mx = malloc(n * sizeof(*mx));
	if (mx == NULL)
		return perr(p, STS_NOMEM, "out of memory");
	st = parse_pin_into(p, ntok, tok, out, mx);
	free(mx);
	return st;
}

static enum sts_status
add_rule(struct parser *p, int ntok, char **tok)
{
	struct sts_override *t = p->t;
	char dom[STS_DOMAIN_BUFSZ], w[STS_WHY_MAX];
	const char *name = tok[0];
	bool suffix = name[0] == '.';
	enum sts_override_action a;
	struct sts_policy *pin = NULL;
	struct rule *r;
	size_t len;
	enum sts_status st;

	if (ntok < 2)
		return perr(p, STS_INVALID, "%s: action missing", name);
	st = sts_domain_normalize(name + suffix, dom, w, sizeof(w));
	if (st != STS_OK)
		return perr(p, STS_INVALID, "%s: %s", name, w);
	for (a = STS_OV_SKIP; a <= STS_OV_POLICY; a++)
		if (strcmp(tok[1], action_names[a]) == 0)
			break;
	if (a > STS_OV_POLICY)
		return perr(p, STS_INVALID,
			    "%s: unknown action \"%s\" (skip, testing, "
			    "enforce, defer, reject, policy)",
			    name, tok[1]);
	if (a == STS_OV_POLICY) {
		st = parse_pin(p, ntok, tok, &pin);
		if (st != STS_OK)
			return st;
	} else if (ntok > 2) {
		return perr(p, STS_INVALID, "%s %s: unexpected \"%s\"", name,
			    tok[1], tok[2]);
	}
	len = strlen(dom) + (suffix ? 1 : 0);
	r = calloc(1, sizeof(*r) + len + 1);
	if (r == NULL) {
		sts_policy_free(pin);
		return perr(p, STS_NOMEM, "out of memory");
	}
	snprintf(r->key, len + 1, "%s%s", suffix ? "." : "", dom);
	if (find_key(t, r->key) != NULL) {
		sts_policy_free(pin);
		free(r);
		return perr(p, STS_INVALID, "%s: a second rule for this domain",
			    name);
	}
	r->hash = hash_key(r->key);
	r->pin = pin;
	r->pub.action = a;
	r->pub.pin = pin;
	r->pub.name = r->key;
	r->pub.line = p->line;
	if (t->n_rules >= t->mask + 1 && !grow_tab(t)) {
		sts_policy_free(pin);
		free(r);
		return perr(p, STS_NOMEM, "out of memory");
	}
	r->next = t->tab[r->hash & t->mask];
	t->tab[r->hash & t->mask] = r;
	t->n_rules++;
	return STS_OK;
}

static enum sts_status
parse_line(struct parser *p, char *s)
{
	char *tok[MAX_TOKENS + 1];
	int ntok = 0;
	size_t i;

	/* '#' at the start or after whitespace starts a comment */
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '#' &&
		    (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
			s[i] = '\0';
			break;
		}
	for (i = 0; s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '\t' && (c < 0x20 || c == 0x7f))
			return perr(p, STS_INVALID, "control character 0x%02x",
				    c);
	}
	while (*s != '\0') {
		s += strspn(s, " \t");
		if (*s == '\0')
			break;
		if (ntok == MAX_TOKENS)
			return perr(p, STS_INVALID, "too many words");
		tok[ntok++] = s;
		s += strcspn(s, " \t");
		if (*s != '\0')
			*s++ = '\0';
	}
	if (ntok == 0)
		return STS_OK;
	if (strcmp(tok[0], "exempt-sender") == 0)
		return add_exempt(p, ntok, tok);
	return add_rule(p, ntok, tok);
}

enum sts_status
sts_override_parse(const char *text, size_t len, const char *name,
		   struct sts_override **out, char *why, size_t whylen)
{
	struct parser p = {NULL, name ? name : "(overrides)", 0, why, whylen};
	char line[STS_MAX_OVERRIDE_LINE + 1];
	size_t off = 0, n;
	const char *nl;
	enum sts_status st = STS_OK;

	*out = NULL;
	if (len > STS_MAX_OVERRIDE_FILE)
		return sts_why(why, whylen, STS_INVALID,
			       "%s: larger than %u bytes", p.name,
			       STS_MAX_OVERRIDE_FILE);
	p.t = calloc(1, sizeof(*p.t));
	if (p.t == NULL)
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	p.t->refs = 1;
	p.t->mask = 63;
	p.t->tab = calloc(p.t->mask + 1, sizeof(*p.t->tab));
	if (p.t->tab == NULL) {
		sts_override_unref(p.t);
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	}
	while (off < len && st == STS_OK) {
		p.line++;
		nl = memchr(text + off, '\n', len - off);
		n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		if (n > 0 && text[off + n - 1] == '\r')
			n--;
		if (n > STS_MAX_OVERRIDE_LINE) {
			st = perr(&p, STS_INVALID, "line longer than %d bytes",
				  STS_MAX_OVERRIDE_LINE);
			break;
		}
		if (memchr(text + off, '\0', n) != NULL) {
			st = perr(&p, STS_INVALID, "NUL byte");
			break;
		}
		memcpy(line, text + off, n);
		line[n] = '\0';
		st = parse_line(&p, line);
		off += (nl != NULL ? (size_t)(nl - (text + off)) + 1
				   : len - off);
	}
	if (st != STS_OK) {
		sts_override_unref(p.t);
		return st;
	}
	*out = p.t;
	return STS_OK;
}

enum sts_status
sts_override_load(const char *path, struct sts_override **out, char *why,
		  size_t whylen)
{
	FILE *f;
	char *buf;
	size_t len = 0, got;
	enum sts_status st;
	int err;

	*out = NULL;
	/* a regular file within the cap: never /dev/zero or a FIFO */
	st = sts_file_open(path, STS_MAX_OVERRIDE_FILE, "override file", &f,
			   why, whylen);
	if (st != STS_OK)
		return st;
	buf = malloc(STS_MAX_OVERRIDE_FILE + 1);
	if (buf == NULL) {
		fclose(f);
		return sts_why(why, whylen, STS_NOMEM, "out of memory");
	}
	while ((got = fread(buf + len, 1, STS_MAX_OVERRIDE_FILE + 1 - len, f)) >
	       0) {
		len += got;
		if (len > STS_MAX_OVERRIDE_FILE)
			break;
	}
	err = ferror(f);
	fclose(f);
	if (err)
		st = sts_why(why, whylen, STS_TEMPFAIL, "%s: read error", path);
	else
		st = sts_override_parse(buf, len, path, out, why, whylen);
	free(buf);
	return st;
}
