/*
 * milter/conf.h - the daemon's configuration file (OpenDKIM style).
 *
 * Syntax: one "Name value" per line; the name is case-insensitive, the
 * value is the rest of the line with surrounding blanks removed; "#"
 * starts a comment (at the start of a line or after a blank); empty
 * lines are ignored.  An unknown name, a repeated name, a bad value or
 * an overlong line is an error reported as "FILE:LINE: message"; every
 * error of a file is reported, not only the first.
 *
 * Ownership and threads: conf_load() returns a new snapshot with one
 * reference.  Snapshots are immutable; conf_ref()/conf_unref() may be
 * called from any thread.  The "current" snapshot (conf_current(),
 * conf_install()) is guarded by a mutex: the main thread installs a new
 * one at reload, libmilter threads take a reference for the length of a
 * message, so a reload never changes settings under a running message.
 */
#ifndef MILTER_CONF_H
#define MILTER_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/types.h>

#include "sts_engine.h"

#define CONF_DEFAULT_FILE "/etc/mta-sts-milter.conf"
#define CONF_MAX_LINE 4096
/* MapSocket may name this many sockets (issue 14 item 5: Postfix's
 * 8461 and sendmail's FEATURE(`sts') default 5461 at once). */
#define CONF_MAX_MAP_SOCKETS 4
/* The whole file (a full one with comments is ~10 KiB). */
#define CONF_MAX_FILE (1024 * 1024)
#define CONF_MAX_FILE_S "1048576"

struct conf {
	atomic_int refs; /* see conf_ref() */
	char *file;

	/* process */
	char *socket;
	char *map_socket, *map_names;
	char *metrics_socket, *control_socket; /* issue 17; NULL: off */
	char *exim_socket; /* the Exim line listener (milter/lined.h) */
	bool map_postfix_sts;
	unsigned map_max_conns, map_idle_ms, map_request_ms;
	int map_socket_mode;
	unsigned milter_timeout; /* seconds */
	char *user;
	char *pid_file;
	mode_t umask;
	int socket_mode;
	int log_level;

	/* engine */
	char *state_file, *override_file;
	char *trust_anchor_file, *unbound_conf, *resolv_conf, *forwarders;
	char *ca_file;
	unsigned dns_timeout_ms, fetch_timeout_ms, probe_timeout_ms;
	enum sts_af address_families; /* AddressFamilies (sts_af.h) */
	unsigned probe_cache_ttl;     /* seconds a probe result is reused */
	bool probe;
	size_t cache_size;
	unsigned negative_ttl, failure_backoff, workers;
	unsigned recheck_interval; /* seconds between TXT id checks on use */
	char *relayhost;
	struct sts_reactions react;
	char *shared_cache, *shared_password_file; /* doc/fleet.md */
	unsigned shared_timeout_ms;

	/* milter */
	unsigned lookup_deadline_ms;
	char *header_name;
	char *check_mailers; /* "" = every recipient */
	char *local_domains; /* never checked ("" = none) */

	/* TLS reports (RFC 8460), milter/tlsrpt.h; off unless a journal */
	char *tlsrpt_journal, *tlsrpt_socket;
	char *tlsrpt_org, *tlsrpt_contact, *tlsrpt_submitter;
	char *tlsrpt_sendmail;
	unsigned tlsrpt_sendmail_timeout; /* seconds; then killed */
	bool tlsrpt_send;
	bool tlsrpt_send_today;	    /* tests: SIGUSR2 sends today's too */
	unsigned tlsrpt_send_delay; /* seconds of jitter after 00:00 UTC */
	unsigned tlsrpt_max_domains, tlsrpt_max_details;
};

/*
 * Read file into a new snapshot.  On any problem, each one is written
 * as a "FILE:LINE: message" line to errs (may be NULL) and the first
 * one into why; NULL is returned.  A missing file is an error.
 */
struct conf *conf_load(const char *file, FILE *errs, char *why, size_t whylen);

/* A snapshot with every default, as if from an empty file. */
struct conf *conf_defaults(void);

struct conf *conf_ref(struct conf *c);
void conf_unref(struct conf *c); /* NULL accepted */

/* The installed snapshot, with a new reference (NULL before the first
 * conf_install). */
struct conf *conf_current(void);
/* Install c (takes over the caller's reference); drops the old one. */
void conf_install(struct conf *c);

/* Fill an engine configuration from c (pointers stay owned by c). */
void conf_engine(const struct conf *c, struct sts_engine_conf *ec);

/* Names of settings that changed between a and b but only take effect
 * at restart, space separated, into buf ("" if none). */
void conf_restart_diff(const struct conf *a, const struct conf *b, char *buf,
		       size_t buflen);

/* The next word of a space/comma separated list (MapSocket) into
 * buf[buflen]; *p advances.  false at the end of the list or for a word
 * that does not fit. */
bool conf_next_word(const char **p, char *buf, size_t buflen);

/* "accept", "tag", "tempfail", "reject". */
const char *conf_action_str(enum sts_verdict v);

#endif /* MILTER_CONF_H */
