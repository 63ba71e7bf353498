/*
 * milter/tlsrpt_send.c - the daily report pass (see tlsrpt_send.h).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "sts_gzip.h"
#include "sts_post.h"
#include "sts_resolver.h"
#include "sts_rptmail.h"
#include "sts_tls.h"
#include "sts_tlsrpt.h"
#include "tlsrpt_retry.h"
#include "tlsrpt_send.h"

/* Reports handled per pass; the rest wait for the next one. */
#define MAX_DUE 4096
/* Words of TLSRPTSendmail (the program and its own arguments). */
#define MAX_SENDMAIL_ARGS 8
#define POST_TIMEOUT_MS 30000
#define MAX_RETRIES TLSRPT_MAX_RETRIES
#define RETRY_WINDOW TLSRPT_RETRY_WINDOW

struct tlsrpt_sender {
	struct sts_resolver *r;
	struct sts_tls *tls;
	char *org, *contact, *submitter, *sendmail;
	char *cmd[MAX_SENDMAIL_ARGS]; /* sendmail split at white space */
	unsigned sendmail_timeout_s;  /* TLSRPTSendmailTimeout */
	size_t n_cmd;
	pthread_mutex_t mu; /* guards retries and counters */
	struct retry retries[MAX_RETRIES];
	bool seen[MAX_RETRIES]; /* this pass found the retry's report due */
	size_t n_retries;
	char *retry_path; /* TLSRPTJournal.retry */
	bool retry_dirty; /* retries changed since the file was written */
	unsigned long long sent, failed;
	int64_t due_days[MAX_DUE]; /* one pass at a time (the header) */
	char *due_domains[MAX_DUE];
};

static void warn_postdrop(const struct tlsrpt_sender *s);

static char *
dup_or(const char *s, const char *dflt)
{
	return strdup(s != NULL ? s : dflt);
}

struct tlsrpt_sender *
tlsrpt_sender_new(const struct conf *c, struct sts_engine *e, char *why,
		  size_t whylen)
{
	struct sts_resolver_conf rc;
	struct tlsrpt_sender *s = calloc(1, sizeof(*s));
	char host[256] = "localhost";
	const char *at;

	if (s == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	(void)gethostname(host, sizeof(host) - 1);
	at = c->tlsrpt_contact ? strrchr(c->tlsrpt_contact, '@') : NULL;
	s->org = dup_or(c->tlsrpt_org, host);
	s->contact = c->tlsrpt_contact ? strdup(c->tlsrpt_contact) : NULL;
	/* Section 5.3: TLS-Report-Submitter MUST match the domain of the
	 * contact-info; so it defaults to it. */
	s->submitter = dup_or(c->tlsrpt_submitter, at ? at + 1 : host);
	s->sendmail = strdup(c->tlsrpt_sendmail);
	s->sendmail_timeout_s = c->tlsrpt_sendmail_timeout > 0
					? c->tlsrpt_sendmail_timeout
					: 60;
	memset(&rc, 0, sizeof(rc));
	rc.trust_anchor_file = c->trust_anchor_file;
	rc.unbound_conf = c->unbound_conf;
	rc.resolv_conf = c->resolv_conf;
	rc.forwarders = c->forwarders;
	rc.timeout_ms = c->dns_timeout_ms;
	rc.families = c->address_families;
	for (char *w = s->sendmail; w != NULL && *w != '\0';) {
		size_t len = strcspn(w, " \t");
		if (len > 0 && s->n_cmd < MAX_SENDMAIL_ARGS)
			s->cmd[s->n_cmd++] = w;
		w += len;
		if (*w != '\0')
			*w++ = '\0';
	}
	if (s->org == NULL || s->submitter == NULL || s->n_cmd == 0 ||
	    sts_resolver_new(&rc, &s->r, why, whylen) != STS_OK ||
	    sts_tls_new(c->ca_file, &s->tls, why, whylen) != STS_OK) {
		tlsrpt_sender_free(s);
		return NULL;
	}
	/* Pending retries survive a restart (RFC 8460 section 5.5). */
	s->retry_path = malloc(strlen(c->tlsrpt_journal) + 7);
	if (s->retry_path == NULL) {
		snprintf(why, whylen, "out of memory");
		tlsrpt_sender_free(s);
		return NULL;
	} else {
		char w[STS_WHY_MAX];
		snprintf(s->retry_path, strlen(c->tlsrpt_journal) + 7,
			 "%s.retry", c->tlsrpt_journal);
		if (tlsrpt_retry_load(s->retry_path, time(NULL), s->retries,
				      MAX_RETRIES, &s->n_retries, w,
				      sizeof(w)) != 0)
			log_msg(LOG_WARNING,
				"tlsrpt: %s: %s (no retries "
				"reloaded)",
				s->retry_path, w);
		else if (s->n_retries > 0)
			log_msg(LOG_INFO,
				"tlsrpt: %zu pending report retr%s reloaded "
				"from %s",
				s->n_retries, s->n_retries == 1 ? "y" : "ies",
				s->retry_path);
	}
	warn_postdrop(s);
	if (s->contact == NULL) {
		log_msg(LOG_WARNING, "tlsrpt: no TLSRPTContact: reports "
				     "cannot be mailed (https: only)");
	} else {
		/* Section 5.3: reports must not be held back by MTA-STS
		 * failures; the milter lets exempt senders through. */
		struct sts_answer a;
		sts_engine_check(e, "tlsrpt-check.invalid", s->contact, 0, &a);
		if (a.reason != STS_REASON_EXEMPT)
			log_msg(LOG_WARNING,
				"tlsrpt: TLSRPTContact %s is not an "
				"exempt-sender in the OverrideFile: reports "
				"to domains with failing policies may be "
				"deferred (RFC 8460 section 5.3)",
				s->contact);
	}
	return s;
}

void
tlsrpt_sender_free(struct tlsrpt_sender *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n_retries; i++)
		free(s->retries[i].domain);
	free(s->retry_path);
	sts_tls_free(s->tls);
	sts_resolver_free(s->r);
	free(s->org);
	free(s->contact);
	free(s->submitter);
	free(s->sendmail);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

time_t
tlsrpt_sender_next_retry(struct tlsrpt_sender *s)
{
	time_t t = 0;

	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n_retries; i++)
		if (t == 0 || s->retries[i].next < t)
			t = s->retries[i].next;
	pthread_mutex_unlock(&s->mu);
	return t;
}

void
tlsrpt_sender_counts(struct tlsrpt_sender *s, unsigned long long *sent,
		     unsigned long long *failed)
{
	pthread_mutex_lock(&s->mu);
	*sent = s->sent;
	*failed = s->failed;
	pthread_mutex_unlock(&s->mu);
}

static struct retry *
find_retry(struct tlsrpt_sender *s, int64_t day, const char *domain)
{
	for (size_t i = 0; i < s->n_retries; i++)
		if (s->retries[i].day == day &&
		    strcmp(s->retries[i].domain, domain) == 0)
			return &s->retries[i];
	return NULL;
}

static void
forget_retry(struct tlsrpt_sender *s, struct retry *r)
{
	if (r == NULL)
		return;
	size_t i = (size_t)(r - s->retries);

	free(r->domain);
	*r = s->retries[--s->n_retries];
	s->seen[i] = s->seen[s->n_retries];
	s->retry_dirty = true;
}

/* The first line the child wrote to stderr (non-blocking: a grandchild
 * may still hold the pipe open), control characters and quotes made
 * '?', with "(+N more lines)" when there were more (postdrop repeats its
 * warning every 10 s).  Returns its length. */
static size_t
child_stderr(int fd, char *out, size_t outlen)
{
	char buf[4096];
	ssize_t r = read(fd, buf, sizeof(buf) - 1);
	size_t n = 0, more = 0;
	ssize_t i;

	out[0] = '\0';
	if (r <= 0)
		return 0;
	for (i = 0; i < r && buf[i] != '\n' && n + 1 < outlen; i++) {
		unsigned char c = (unsigned char)buf[i];
		out[n++] = (c < 0x20 || c == 0x7f || c == '"') ? '?' : (char)c;
	}
	out[n] = '\0';
	for (; i < r; i++)
		more += buf[i] == '\n' && i + 1 < r;
	if (more > 0)
		n += (size_t)snprintf(out + n, outlen - n,
				      " (+%zu more line%s)", more,
				      more == 1 ? "" : "s");
	return n < outlen ? n : outlen - 1;
}

/* Whether this process runs with no_new_privs (systemd's
 * NoNewPrivileges=yes): then a setgid sendmail/postdrop is not. */
static bool
no_new_privs(void)
{
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
}

/* The failure of TLSRPTSendmail as one log reason: what happened, what
 * it said on stderr (efd, closed here), and a hint when no_new_privs is
 * set -- the usual cause under the Debian unit: Postfix's sendmail needs
 * its setgid postdrop, which NoNewPrivileges=yes ignores, so the
 * maildrop directory refuses the file.  Returns -1. */
static int
mail_failed(struct tlsrpt_sender *s, int efd, const char *what, char *why,
	    size_t whylen)
{
	char err[384];
	size_t k = efd >= 0 ? child_stderr(efd, err, sizeof(err)) : 0;

	if (efd >= 0)
		close(efd);
	snprintf(why, whylen, "%s %s%s%s%s", s->sendmail, what,
		 k > 0 ? ": \"" : "", k > 0 ? err : "", k > 0 ? "\"" : "");
	if (no_new_privs())
		snprintf(why + strlen(why), whylen - strlen(why),
			 " (no_new_privs is set: a setuid/setgid sendmail or "
			 "postdrop cannot gain its privileges; see "
			 "doc/tlsrpt.md, \"The Debian package's sandbox\")");
	return -1;
}

/* At start: under no_new_privs, Postfix's setgid postdrop can queue a
 * mailed report only if this process may write the maildrop directory
 * itself (the Debian unit: group postdrop and ReadWritePaths=;
 * doc/tlsrpt.md).  access() asks the kernel, which counts supplementary
 * groups a user namespace (PrivateUsers=) no longer shows by number.
 * Say so now rather than at the first report. */
static void
warn_postdrop(const struct tlsrpt_sender *s)
{
	static const char maildrop[] = "/var/spool/postfix/maildrop";

	if (s->contact == NULL || !no_new_privs() ||
	    access("/usr/sbin/postdrop", X_OK) != 0 ||
	    access(maildrop, W_OK | X_OK) == 0 ||
	    (errno != EACCES && errno != EROFS && errno != EPERM))
		return;
	log_msg(LOG_WARNING,
		"tlsrpt: no_new_privs is set and %s is not writable (%s): "
		"Postfix's postdrop cannot queue mailed reports (the daemon's "
		"user must be in the group postdrop, and the directory "
		"writable; doc/tlsrpt.md, \"The Debian package's sandbox\")",
		maildrop, strerror(errno));
}

/* Hand the message to the local MTA: sendmail -oi -f FROM -- TO, with
 * LF line ends (what a local submission expects). */
static int
mail_report(struct tlsrpt_sender *s, const char *to, const char *msg,
	    size_t len, char *why, size_t whylen)
{
	char *argv[MAX_SENDMAIL_ARGS + 6];
	int pfd[2], efd[2], status = 0;
	pid_t pid, w = 0;
	char *lf;
	size_t n = 0;

	/* TLSRPTSendmail: the program and its own arguments (split at
	 * white space, e.g. sendmail's -C /etc/mail/tlsrpt.cf), then ours */
	size_t a = 0;
	for (size_t i = 0; i < s->n_cmd; i++)
		argv[a++] = s->cmd[i];
	argv[a++] = "-oi";
	argv[a++] = "-f";
	argv[a++] = s->contact;
	argv[a++] = "--";
	argv[a++] = (char *)to;
	argv[a] = NULL;
	lf = malloc(len + 1);
	if (lf == NULL || pipe2(pfd, O_CLOEXEC) != 0) {
		free(lf);
		snprintf(why, whylen, "out of resources");
		return -1;
	}
	/* its stderr, for the log line when it fails (what postdrop says) */
	if (pipe2(efd, O_CLOEXEC | O_NONBLOCK) != 0)
		efd[0] = efd[1] = -1;
	for (size_t i = 0; i < len; i++)
		if (msg[i] != '\r')
			lf[n++] = msg[i];
	pid = fork();
	if (pid == 0) {
		/* only async-signal-safe calls in the child of a
		 * threaded process */
		(void)setpgid(0, 0); /* killable as a group (timeout) */
		if (dup2(pfd[0], 0) < 0 || (efd[1] >= 0 && dup2(efd[1], 2) < 0))
			_exit(126);
		execv(s->cmd[0], argv);
		_exit(127);
	}
	close(pfd[0]);
	if (efd[1] >= 0)
		close(efd[1]);
	if (pid < 0) {
		close(pfd[1]);
		if (efd[0] >= 0)
			close(efd[0]);
		free(lf);
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	for (size_t off = 0; off < n;) {
		ssize_t k = write(pfd[1], lf + off, n - off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break; /* the exit status tells */
		off += (size_t)k;
	}
	close(pfd[1]);
	free(lf);
	for (unsigned i = 0; i < s->sendmail_timeout_s * 10; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		usleep(100000);
	}
	if (w != pid) {
		/* the whole group: Postfix's sendmail leaves its postdrop,
		 * which retries a maildrop it cannot write every 10 s */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		char st[48];
		snprintf(st, sizeof(st), "timed out after %u s",
			 s->sendmail_timeout_s);
		return mail_failed(s, efd[0], st, why, whylen);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char st[48];
		snprintf(st, sizeof(st), "exited with status %d",
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		return mail_failed(s, efd[0], st, why, whylen);
	}
	if (efd[0] >= 0)
		close(efd[0]);
	return 0;
}

/* One rua URI: 0 delivered, 1 give up (unusable URI), -1 retry. */
static int
deliver(struct tlsrpt_sender *s, const char *uri, int64_t day,
	const char *domain, const char *rid, const unsigned char *gz,
	size_t gzlen, time_t now)
{
	char why[1024] = "", to[512]; /* sendmail's stderr fits */
	int status = 0;

	if (strncasecmp(uri, "mailto:", 7) == 0) {
		struct sts_rptmail m = {s->contact,   to,  domain,
					s->submitter, rid, day,
					now,	      gz,  gzlen};
		char *msg = NULL;
		size_t mlen = 0;
		int rc;

		if (sts_rptmail_rcpt(uri, to, sizeof(to)) != STS_OK) {
			log_msg(LOG_WARNING, "tlsrpt: %s: unusable rua %s",
				domain, uri);
			return 1;
		}
		if (s->contact == NULL)
			return 1;
		if (sts_rptmail_format(&m, &msg, &mlen) != STS_OK)
			return -1;
		rc = mail_report(s, to, msg, mlen, why, sizeof(why));
		free(msg);
		log_msg(rc == 0 ? LOG_INFO : LOG_WARNING,
			"tlsrpt: report %s for %s to %s: %s", rid, domain, uri,
			rc == 0 ? "handed to sendmail" : why);
		return rc;
	}
	switch (sts_post_report(s->r, s->tls, uri, gz, gzlen,
				"application/tlsrpt+gzip", POST_TIMEOUT_MS,
				&status, why, sizeof(why))) {
	case STS_OK:
		log_msg(LOG_INFO, "tlsrpt: report %s for %s to %s: HTTP %d",
			rid, domain, uri, status);
		return 0;
	case STS_INVALID:
		/* a bad URL never gets better; a 4xx or a bad certificate
		 * might (the receiver fixes it): retry those */
		log_msg(LOG_WARNING, "tlsrpt: report %s for %s to %s: %s", rid,
			domain, uri, why);
		return strstr(why, "unusable URL") ? 1 : -1;
	default:
		log_msg(LOG_WARNING, "tlsrpt: report %s for %s to %s: %s", rid,
			domain, uri, why);
		return -1;
	}
}

/* The _smtp._tls record: 1 found (*rec set), 0 none (send nothing),
 * -1 try again later. */
static int
lookup_record(struct tlsrpt_sender *s, const char *domain,
	      struct sts_tlsrpt **rec)
{
	char name[STS_DOMAIN_BUFSZ + 16], why[STS_WHY_MAX];
	struct sts_resolver_txt txt;
	enum sts_status st;

	*rec = NULL;
	snprintf(name, sizeof(name), "_smtp._tls.%s", domain);
	memset(&txt, 0, sizeof(txt));
	st = sts_resolver_txt(s->r, name, &txt);
	if (st == STS_OK)
		st = sts_tlsrpt_discover(txt.rr, txt.n, rec, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", txt.meta.why);
	sts_resolver_txt_clear(&txt);
	switch (st) {
	case STS_OK:
		return 1;
	case STS_TEMPFAIL:
	case STS_NOMEM:
		log_msg(LOG_INFO, "tlsrpt: %s: %s; will retry", name, why);
		return -1;
	case STS_BOGUS:
		/* A record that fails validation names no one we may
		 * send the domain's failure data to. */
		log_msg(LOG_WARNING, "tlsrpt: %s: DNSSEC-bogus (%s): no report",
			name, why);
		return 0;
	default:
		log_msg(LOG_INFO, "tlsrpt: %s: %s: no report", name,
			st == STS_NOTFOUND ? "no TLSRPT record" : why);
		return 0;
	}
}

/* One (day, domain): SENT (every rua done), NOTHING (no record, or no
 * report could be built), RETRY. */
enum outcome { RETRY, SENT, NOTHING };

static enum outcome
send_one(struct tlsrpt_sender *s, struct sts_rptstore *st, int64_t day,
	 const char *domain, uint32_t *done, time_t now)
{
	struct sts_rptmeta m;
	struct sts_tlsrpt *rec = NULL;
	char rid[STS_DOMAIN_BUFSZ * 2 + 16], *json = NULL;
	unsigned char *gz = NULL;
	size_t gzlen = 0;
	bool all = true;
	int found = lookup_record(s, domain, &rec);

	if (found <= 0)
		return found == 0 ? NOTHING : RETRY;
	sts_rptmail_report_id(day, domain, s->submitter, rid, sizeof(rid));
	m.organization = s->org;
	m.contact = s->contact ? s->contact : "";
	m.report_id = rid;
	if (sts_rptstore_report(st, day, domain, &m, false, &json) != STS_OK ||
	    sts_gzip(json, strlen(json), &gz, &gzlen) != STS_OK) {
		/* too big (STS_MAX_RPT_REPORT) or gone: nothing to send */
		log_msg(LOG_WARNING, "tlsrpt: report for %s not built", domain);
		free(json);
		sts_tlsrpt_free(rec);
		return NOTHING;
	}
	for (size_t i = 0; i < rec->n_rua && i < 32; i++) {
		int rc;
		if (*done & (1u << i))
			continue;
		rc = deliver(s, rec->rua[i], day, domain, rid, gz, gzlen, now);
		if (rc >= 0)
			*done |= 1u << i;
		else
			all = false;
	}
	free(json);
	free(gz);
	sts_tlsrpt_free(rec);
	return all ? SENT : RETRY;
}

/* One (day, domain) of the pass: true when it left the journal. */
static bool
pass_one(struct tlsrpt_sender *s, struct sts_rptstore *st, int64_t day,
	 const char *domain, time_t now, bool force)
{
	struct retry *r;
	uint32_t done = 0;
	enum outcome o;
	char why[STS_WHY_MAX];

	pthread_mutex_lock(&s->mu);
	r = find_retry(s, day, domain);
	if (r != NULL) {
		s->seen[r - s->retries] = true;
		done = r->done;
		if (r->next > now && !force) {
			pthread_mutex_unlock(&s->mu);
			return false;
		}
	}
	pthread_mutex_unlock(&s->mu);
	o = send_one(s, st, day, domain, &done, now);
	pthread_mutex_lock(&s->mu);
	r = find_retry(s, day, domain);
	if (o == RETRY && r == NULL && s->n_retries < MAX_RETRIES) {
		s->seen[s->n_retries] = true;
		r = &s->retries[s->n_retries++];
		r->day = day;
		r->domain = strdup(domain);
		r->first = now;
		r->attempts = 0;
		if (r->domain == NULL) {
			s->n_retries--;
			r = NULL;
		}
	}
	if (o == RETRY && r != NULL && now - r->first < RETRY_WINDOW) {
		unsigned shift = r->attempts < 7 ? r->attempts : 7;
		time_t wait = (time_t)300 << shift;
		r->done = done;
		r->attempts++;
		/* 5 min, doubling, at most 6 h apart (section 5.5) */
		r->next = now + (wait < 21600 ? wait : 21600);
		s->retry_dirty = true;
		pthread_mutex_unlock(&s->mu);
		return false;
	}
	if (o == SENT)
		s->sent++;
	else if (o == RETRY)
		s->failed++;
	forget_retry(s, r);
	pthread_mutex_unlock(&s->mu);
	if (o == RETRY)
		log_msg(LOG_WARNING,
			"tlsrpt: giving up the report of %s for day %lld "
			"(%s)",
			domain, (long long)day,
			r == NULL ? "too many pending retries" : "after 24 h");
	/* dropped from memory now, from the file at the next flush */
	if (sts_rptstore_drop(st, day, domain, why, sizeof(why)) != STS_OK)
		log_msg(LOG_ERR, "tlsrpt: journal: %s", why);
	return true;
}

void
tlsrpt_sender_pass(struct tlsrpt_sender *s, struct sts_rptstore *st, time_t now,
		   bool today, bool force)
{
	int64_t before = (int64_t)now / 86400 + (today ? 1 : 0);
	char why[STS_WHY_MAX];
	size_t n, left;

	pthread_mutex_lock(&s->mu);
	memset(s->seen, 0, sizeof(s->seen));
	pthread_mutex_unlock(&s->mu);
	/* MAX_DUE at a time; again while a full batch made progress (what
	 * is left waits for its retry time). */
	do {
		n = sts_rptstore_due(st, before, MAX_DUE, s->due_days,
				     s->due_domains);
		left = 0;
		for (size_t i = 0; i < n; i++) {
			if (pass_one(s, st, s->due_days[i], s->due_domains[i],
				     now, force))
				left++;
			free(s->due_domains[i]);
		}
	} while (n == MAX_DUE && left > 0);
	pthread_mutex_lock(&s->mu);
	/* A reloaded retry whose report is no longer in the journal (sent
	 * or dropped meanwhile) would wake the ticker for nothing. */
	for (size_t i = 0; n < MAX_DUE && i < s->n_retries;) {
		if (!s->seen[i] && s->retries[i].day < before)
			forget_retry(s, &s->retries[i]);
		else
			i++;
	}
	if (s->retry_dirty && s->retry_path != NULL) {
		if (tlsrpt_retry_save(s->retry_path, s->retries, s->n_retries,
				      why, sizeof(why)) == 0)
			s->retry_dirty = false;
		else
			log_msg(LOG_ERR, "tlsrpt: %s", why);
	}
	pthread_mutex_unlock(&s->mu);
}
