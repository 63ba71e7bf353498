/*
 * milter/main.c - mta-sts-milter: process life (issue [milter]).
 *
 * Start-up order (Postfix chroot_uid.c, and mapd.h's contract):
 *   1. block the signals we handle, in the main thread, before any
 *      thread exists, so every later thread inherits the mask;
 *   2. read the configuration (as root: it may be root-only);
 *   3. as root: open the milter socket (smfi_opensocket; stale unix
 *      socket removed, a live one refused), set TCP_NODELAY on it, bind
 *      the socketmap socket (mapd_new);
 *   4. fork into the background (the parent waits until the child says
 *      "ready" or why it failed, and exits 0/1 accordingly);
 *   5. lock the PID file, then drop to UserID;
 *   6. only then create the engine: it reads the state and override
 *      files and later writes the state file, so those must belong to
 *      the unprivileged user -- reading them after the drop makes a
 *      wrong owner fail at start, not at the first save or reload;
 *   7. start the socketmap server and libmilter (smfi_main in its own
 *      thread), and wait for signals in the main thread.
 *
 * Signals (issue [harden] 4): SIGHUP, SIGUSR1, SIGUSR2, SIGTERM and
 * SIGINT are blocked in every thread and taken by the main thread
 * alone, with sigwaitinfo(): SIGHUP and SIGUSR1 reload (signals that
 * arrive during a reload wait, and one reload follows), SIGUSR2 runs the
 * TLS-report pass now (milter/tlsrpt.h), SIGTERM and SIGINT stop the
 * daemon gracefully (smfi_stop, state saved once), and the log says
 * which signal and from which process.  libmilter's own signal thread
 * never sees a signal (milter/sigwait.c).  If libmilter stops by itself,
 * its thread sends SIGTERM to the main thread alone (pthread_kill:
 * si_code SI_TKILL from our own pid, which no kill(1) gives) and the
 * daemon exits 1: a stop is exit 0 only when it was asked for.
 *
 * Limits (issue [harden] 2): the soft descriptor limit is raised to the
 * hard one at start (milter/fdlimit.h), libmilter closes a connection
 * idle for MilterTimeout, and the map server gets at most half of the
 * descriptors (and at most MapMaxConnections).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libmilter/mfapi.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "control.h"
#include "fdlimit.h"
#include "tlsrpt.h"
#include "log.h"
#include "lined.h"
#include "mapd.h"
#include "metrics.h"
#include "milter.h"
#include "nodelay.h"
#include "pidfile.h"
#include "privs.h"
#include "secret.h"
#include "smfi.h"
#include "sockspec.h"
#include "sts_engine.h"
#include "sts_source.h"
#include "sts_override.h"
#include "sts_domain.h"
#include "sts_nexthop.h"

#define IDENT "mta-sts-milter"

static const char *conf_file = CONF_DEFAULT_FILE;
static volatile int milter_exited, milter_failed, stopping;
static pthread_t main_tid;
static int ready_fd = -1; /* pipe to the waiting parent */
/* Before the fork a daemon's errors must reach the terminal too: its
 * log goes to syslog, which the admin may not be looking at. */
static bool tell_terminal;

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-f] [-n] [-c FILE] | -V\n"
		"  -c FILE  configuration file (default %s)\n"
		"  -f       stay in the foreground, log to stderr\n"
		"  -n       check the configuration and override files, exit\n"
		"  -V       print the version\n",
		IDENT, CONF_DEFAULT_FILE);
}

/* Tell the parent how start-up ended ("" = ready), then stop talking. */
static void
notify_parent(const char *msg)
{
	if (ready_fd < 0)
		return;
	if (write(ready_fd, msg, strlen(msg) + 1) < 0) {
		/* the parent is gone: nothing to tell */
	}
	close(ready_fd);
	ready_fd = -1;
}

static void __attribute__((noreturn)) fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_msg(LOG_ERR, "%s", msg);
	if (tell_terminal)
		fprintf(stderr, "%s: %s\n", IDENT, msg);
	notify_parent(msg);
	exit(1);
}

static void
engine_event(void *arg, enum sts_event_level lvl, const char *domain,
	     const char *msg)
{
	static const int prio[] = {LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR};

	(void)arg;
	log_msg(prio[lvl <= STS_EV_ERROR ? lvl : STS_EV_ERROR],
		"event domain=%s msg=\"%s\"", domain ? domain : "-",
		msg ? msg : "");
}

static void
check_engine(void *arg, const char *domain, const char *from,
	     unsigned deadline_ms, struct sts_answer *out)
{
	sts_engine_check(arg, domain, from, deadline_ms, out);
	metrics_verdict(out);
	tlsrpt_observe(arg, out); /* RFC 8460: count what we saw */
}

/*
 * -n: the configuration was read; now what the start would refuse
 * (issue [harden] 7): Relayhost, UserID, the resolver's and fetcher's
 * files and addresses (UnboundConfig, ResolvConf, Forwarders,
 * TrustAnchorFile, CAFile: built once and thrown away, no query is
 * sent) and the override file.  Every problem is reported.
 */
static int
check_only(const struct conf *c)
{
	struct sts_override *t = NULL;
	struct sts_engine_conf ec;
	struct sts_source src;
	char why[STS_WHY_MAX * 2], dom[STS_DOMAIN_BUFSZ], uname[256];
	char host[STS_MAX_DOMAIN_INPUT + 1];
	uid_t uid;
	gid_t gid;
	bool lit;
	int rc = 0;

	if (c->shared_password_file != NULL) {
		char pw[STS_MAX_REDIS_SECRET + 1];

		if (secret_read(c->shared_password_file, pw, sizeof(pw), why,
				sizeof(why)) != 0) {
			fprintf(stderr, "SharedCachePasswordFile %s\n", why);
			rc = 1;
		}
		explicit_bzero(pw, sizeof(pw));
	}
	if (tlsrpt_check_conf(c, stderr) != 0)
		rc = 1;
	/* as the engine reads it (sts_engine.c parse_relay) */
	if (c->relayhost != NULL &&
	    (sts_nexthop_parse(c->relayhost, host, sizeof(host), &lit, why,
			       sizeof(why)) != STS_OK ||
	     sts_domain_normalize(host, dom, why, sizeof(why)) != STS_OK)) {
		fprintf(stderr, "%s: Relayhost %s: %s\n", c->file, c->relayhost,
			why);
		rc = 1;
	}
	if (c->user != NULL &&
	    privs_lookup(c->user, &uid, &gid, uname, sizeof(uname), why,
			 sizeof(why)) != 0) {
		fprintf(stderr, "%s: UserID: %s\n", c->file, why);
		rc = 1;
	}
	conf_engine(c, &ec);
	if (sts_source_net_new(&ec, &src, why, sizeof(why)) != STS_OK) {
		fprintf(stderr, "%s: resolver or fetcher: %s\n", c->file, why);
		rc = 1;
	} else if (src.free != NULL) {
		src.free(src.arg);
	}
	if (c->override_file == NULL)
		return rc;
	if (sts_override_load(c->override_file, &t, why, sizeof(why)) !=
	    STS_OK) {
		fprintf(stderr, "%s\n", why);
		return 1;
	}
	printf("%s: OK (%zu rules)\n", c->override_file, sts_override_count(t));
	sts_override_unref(t);
	return rc;
}

/* Fork; the parent waits for the child's verdict on start-up. */
static void
daemonize(void)
{
	char msg[512];
	ssize_t n, got = 0;
	int p[2];
	pid_t pid;

	if (pipe(p) != 0)
		fail("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid > 0) {
		close(p[1]);
		while (got < (ssize_t)sizeof(msg) - 1) {
			n = read(p[0], msg + got,
				 sizeof(msg) - 1 - (size_t)got);
			if (n <= 0)
				break;
			got += n;
			if (memchr(msg, '\0', (size_t)got) != NULL)
				break;
		}
		msg[got] = '\0';
		if (got == 0) {
			fprintf(stderr, "%s: start-up failed (see the log)\n",
				IDENT);
			_exit(1);
		}
		if (msg[0] != '\0') {
			fprintf(stderr, "%s: %s\n", IDENT, msg);
			_exit(1);
		}
		_exit(0);
	}
	close(p[0]);
	ready_fd = p[1];
	tell_terminal = false; /* the parent prints what we send */
	(void)fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	if (setsid() < 0)
		fail("setsid: %s", strerror(errno));
	if (chdir("/") != 0)
		fail("chdir /: %s", strerror(errno));
}

static void
null_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	(void)dup2(fd, 0);
	(void)dup2(fd, 1);
	(void)dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void *
milter_thread(void *arg)
{
	(void)arg;
	if (smfi_main() != MI_SUCCESS) {
		log_msg(LOG_ERR, "libmilter stopped with an error");
		milter_failed = 1;
	}
	milter_exited = 1;
	/* If libmilter stopped by itself, wake the main thread. */
	if (!stopping)
		pthread_kill(main_tid, SIGTERM);
	return NULL;
}

/* The engine's counters, one line (at every reload: SIGUSR1 is the way
 * to ask for them). */
static void
log_stats(struct sts_engine *e)
{
	struct sts_engine_stats s;

	sts_engine_stats(e, &s);
	log_msg(LOG_INFO,
		"stats: entries=%zu lookups=%llu hits=%llu misses=%llu "
		"txt_queries=%llu fetches=%llu fetch_failures=%llu",
		s.entries, (unsigned long long)s.lookups,
		(unsigned long long)s.hits, (unsigned long long)s.misses,
		(unsigned long long)s.txt_queries,
		(unsigned long long)s.fetches,
		(unsigned long long)s.fetch_failures);
	if (s.shared_gets + s.shared_writes + s.shared_errors > 0 ||
	    s.shared_up)
		log_msg(LOG_INFO,
			"stats: shared cache %s gets=%llu hits=%llu "
			"writes=%llu "
			"errors=%llu invalid=%llu announcements=%llu",
			s.shared_up ? "up" : "DOWN",
			(unsigned long long)s.shared_gets,
			(unsigned long long)s.shared_hits,
			(unsigned long long)s.shared_writes,
			(unsigned long long)s.shared_errors,
			(unsigned long long)s.shared_invalid,
			(unsigned long long)s.shared_announcements);
}

static void
reload(struct sts_engine *e, struct mapd **mapd, int n_mapd,
       struct lined *lined)
{
	char why[STS_WHY_MAX * 2], diff[512];
	struct conf *nc, *old;
	enum sts_status st;

	nc = conf_load(conf_file, NULL, why, sizeof(why));
	if (nc == NULL) {
		log_msg(LOG_WARNING,
			"reload failed, keeping the old configuration: %s",
			why);
	} else {
		old = conf_current();
		conf_restart_diff(old, nc, diff, sizeof(diff));
		if (diff[0] != '\0')
			log_msg(LOG_WARNING,
				"reload: changed settings take effect only "
				"after a restart: %s",
				diff);
		conf_unref(old);
		log_set_level(nc->log_level);
		for (int i = 0; i < n_mapd; i++)
			mapd_set_deadline(mapd[i], nc->lookup_deadline_ms);
		lined_set_deadline(lined, nc->lookup_deadline_ms);
		conf_install(nc);
		log_msg(LOG_INFO, "reload: configuration %s read", conf_file);
	}
	st = sts_engine_reload_overrides(e, why, sizeof(why));
	if (st != STS_OK)
		log_msg(LOG_WARNING, "reload: override file kept as before: %s",
			why);
	else
		log_msg(LOG_INFO, "reload: overrides read");
	log_stats(e);
}

/* The milter socket's path if it is a unix socket, else NULL. */
static const char *
unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/*
 * A state file that exists but cannot be read by us (wrong owner or
 * mode) is a start-up error: going on would start with an empty cache
 * (a downgrade window, RFC 8461 section 10.2) and the first save would
 * replace the file.  A missing file is fine (first start).
 */
static void
check_state_file(const char *file)
{
	int fd;

	if (file == NULL)
		return;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return;
	}
	if (errno != ENOENT)
		fail("StateFile %s: %s: refusing to start (give it to the "
		     "user the daemon runs as, mode 0600)",
		     file, strerror(errno));
}

/* Warn early if the state file's directory is not writable by us. */
static void
check_state_dir(const char *file)
{
	char dir[4096];
	char *slash;

	if (file == NULL)
		return;
	snprintf(dir, sizeof(dir), "%s", file);
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return;
	*(slash == dir ? slash + 1 : slash) = '\0';
	if (access(dir, W_OK) != 0)
		log_msg(LOG_WARNING,
			"StateFile %s: directory not writable (%s): cached "
			"policies will not survive a restart",
			file, strerror(errno));
}

int
main(int argc, char **argv)
{
	static struct milter_env env = {.io = &smfi_glue_io,
					.check = check_engine};
	bool foreground = false, check = false, drop = false;
	static char shared_pw[STS_MAX_REDIS_SECRET + 1];
	char why[STS_WHY_MAX * 2], uname[256];
	struct sts_engine_conf ec;
	struct sts_source src;
	struct sts_engine *engine;
	struct mapd *mapd[CONF_MAX_MAP_SOCKETS] = {NULL};
	size_t n_mapd = 0, i;
	struct metrics_http *mh = NULL;
	struct control *ctl = NULL;
	struct lined *lined = NULL;
	struct conf *c;
	pthread_t mt;
	sigset_t sigs;
	uid_t uid = 0;
	gid_t gid = 0;
	int ch, pidfd = -1, sig, n, raised;
	siginfo_t si;
	unsigned long nofile;
	const char *upath;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGUSR2); /* send TLS reports now (tlsrpt.h) */
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	main_tid = pthread_self();
	signal(SIGPIPE, SIG_IGN);

	while ((ch = getopt(argc, argv, "c:fnVh")) != -1) {
		switch (ch) {
		case 'c':
			conf_file = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 'n':
			check = true;
			break;
		case 'V':
			printf("%s %s\n", IDENT, PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	c = conf_load(conf_file, stderr, why, sizeof(why));
	if (c == NULL)
		return 1;
	if (check) {
		int rc = check_only(c);

		if (rc == 0)
			printf("%s: OK\n", conf_file);
		conf_unref(c);
		return rc;
	}
	log_init(IDENT, foreground, c->log_level);
	tell_terminal = !foreground;
	umask(c->umask);

	if (c->user != NULL) {
		if (privs_lookup(c->user, &uid, &gid, uname, sizeof(uname), why,
				 sizeof(why)) != 0)
			fail("%s", why);
		if (geteuid() == 0)
			drop = uid != 0;
		else if (geteuid() != uid)
			fail("UserID %s: not started as root, cannot switch",
			     c->user);
	} else if (geteuid() == 0) {
		log_msg(LOG_WARNING, "no UserID set: running as root");
	}

	nofile = fdlimit_raise(&raised, why, sizeof(why));
	if (raised)
		log_msg(LOG_INFO, "descriptor limit raised to %lu", nofile);
	else if (why[0] != '\0')
		log_msg(LOG_INFO, "descriptor limit %lu (%s)", nofile, why);

	/* A clear error for a socket in use, before libmilter tries. */
	n = sockspec_listen(c->socket, c->socket_mode, why, sizeof(why));
	if (n < 0)
		fail("Socket %s: %s", c->socket, why);
	close(n);
	if (smfi_glue_open(c->socket, &env, why, sizeof(why)) != 0)
		fail("Socket %s: %s", c->socket, why);
	/* libmilter keeps an idle MTA connection this long (its default:
	 * 2 hours), holding a descriptor and a thread. */
	if (smfi_settimeout((int)c->milter_timeout) != MI_SUCCESS)
		fail("MilterTimeout %u: refused by libmilter",
		     c->milter_timeout);
	log_msg(LOG_INFO, "milter: idle MTA connections closed after %u s",
		c->milter_timeout);
	if (c->address_families == STS_AF_AUTO)
		log_msg(LOG_INFO,
			"AddressFamilies auto: %s for now (checked again "
			"every %d s)",
			sts_af_str(sts_af_detect()), STS_AF_RECHECK_MS / 1000);
	upath = unix_path(c->socket);
	if (upath != NULL) {
		if (chmod(upath, (mode_t)c->socket_mode) != 0)
			log_msg(LOG_WARNING, "chmod %s: %s", upath,
				strerror(errno));
		if (drop && chown(upath, uid, gid) != 0)
			log_msg(LOG_WARNING, "chown %s: %s", upath,
				strerror(errno));
	} else {
		n = nodelay_listener(c->socket, why, sizeof(why));
		if (n > 0)
			log_msg(LOG_INFO,
				"TCP_NODELAY set on the milter listener %s "
				"(inherited by accepted connections)",
				c->socket);
		else
			log_msg(LOG_WARNING,
				"TCP_NODELAY not set on %s: %s; expect ~40 "
				"ms per message with added headers",
				c->socket, why);
	}
	if (c->map_socket != NULL) {
		/* one server per socket (issue 14 item 5: Postfix's 8461
		 * and sendmail's FEATURE(`sts') default 5461) */
		char spec[CONF_MAX_LINE];
		const char *p = c->map_socket;
		struct mapd_conf mc = {
			.socket = spec,
			.names = c->map_names,
			.postfix_sts = c->map_postfix_sts,
			.deadline_ms = c->lookup_deadline_ms,
			.max_conns = c->map_max_conns,
			.idle_ms = c->map_idle_ms,
			.request_ms = c->map_request_ms,
			.unix_mode = c->map_socket_mode,
		};
		unsigned budget = fdlimit_map_budget(nofile);

		unsigned nsock = 0;
		const char *q = c->map_socket;

		/* the budget is shared by every map socket */
		while (nsock < CONF_MAX_MAP_SOCKETS &&
		       conf_next_word(&q, spec, sizeof(spec)))
			nsock++;
		if (nsock > 1)
			budget /= nsock;
		if (mc.max_conns > budget) {
			log_msg(LOG_WARNING,
				"MapMaxConnections %u: only %u per socket fit "
				"in "
				"%lu descriptors (raise LimitNOFILE=); using "
				"%u",
				mc.max_conns, budget, nofile, budget);
			mc.max_conns = budget;
		}
		while (n_mapd < CONF_MAX_MAP_SOCKETS &&
		       conf_next_word(&p, spec, sizeof(spec))) {
			mapd[n_mapd] = mapd_new(&mc, why, sizeof(why));
			if (mapd[n_mapd] == NULL)
				fail("MapSocket %s: %s", spec, why);
			n_mapd++;
			upath = unix_path(spec);
			/* Like the milter socket: the unprivileged user
			 * serves it. */
			if (upath != NULL && drop &&
			    chown(upath, uid, gid) != 0)
				log_msg(LOG_WARNING, "chown %s: %s", upath,
					strerror(errno));
		}
	}
	if (c->exim_socket != NULL) {
		struct lined_conf lc = {
			.socket = c->exim_socket,
			.unix_mode = c->socket_mode,
			.deadline_ms = c->lookup_deadline_ms,
		};

		lined = lined_new(&lc, why, sizeof(why));
		if (lined == NULL)
			fail("EximSocket %s: %s", c->exim_socket, why);
	}

	/* issue 17: both bound as root, served after the fork */
	if (c->metrics_socket != NULL &&
	    (mh = metrics_http_new(c->metrics_socket, why, sizeof(why))) ==
		    NULL)
		fail("MetricsSocket %s: %s", c->metrics_socket, why);
	if (c->control_socket != NULL &&
	    (ctl = control_new(c->control_socket, drop, uid, gid, why,
			       sizeof(why))) == NULL)
		fail("ControlSocket %s: %s", c->control_socket, why);

	/* the Redis password file is root-only: read it before dropping
	 * privileges (doc/fleet.md) */
	if (c->shared_cache != NULL && c->shared_password_file != NULL &&
	    secret_read(c->shared_password_file, shared_pw, sizeof(shared_pw),
			why, sizeof(why)) != 0)
		fail("SharedCachePasswordFile %s", why);

	if (!foreground)
		daemonize();
	if (c->pid_file != NULL) {
		pidfd = pidfile_open(c->pid_file, why, sizeof(why));
		if (pidfd < 0)
			fail("%s", why);
	}
	if (drop) {
		if (privs_drop(uname, uid, gid, why, sizeof(why)) != 0)
			fail("dropping privileges: %s", why);
		log_msg(LOG_INFO, "running as %s (uid %ld, gid %ld)", uname,
			(long)uid, (long)gid);
	}
	check_state_file(c->state_file);
	check_state_dir(c->state_file);

	conf_engine(c, &ec);
	ec.event = engine_event;
	ec.shared_password = shared_pw[0] != '\0' ? shared_pw : NULL;
	engine = sts_source_net_new(&ec, &src, why, sizeof(why)) == STS_OK
			 ? sts_engine_new(&ec, &src, why, sizeof(why))
			 : NULL;
	explicit_bzero(shared_pw,
		       sizeof(shared_pw)); /* the engine has a copy */
	if (engine == NULL)
		fail("engine: %s", why);
	if (c->shared_cache != NULL)
		log_msg(LOG_INFO, "shared cache tier on (SharedCache)");
	env.check_arg = engine;
	for (i = 0; i < n_mapd; i++)
		if (mapd_start(mapd[i], engine, why, sizeof(why)) != 0)
			fail("MapSocket %s: %s", c->map_socket, why);
	log_msg(LOG_INFO, "socketmap server %s on %s",
		n_mapd > 0 ? "listening" : "off",
		c->map_socket != NULL ? c->map_socket : "-");
	if (mh != NULL && metrics_http_start(mh, engine, why, sizeof(why)) != 0)
		fail("MetricsSocket %s: %s", c->metrics_socket, why);
	if (ctl != NULL && control_start(ctl, engine, why, sizeof(why)) != 0)
		fail("ControlSocket %s: %s", c->control_socket, why);
	if (tlsrpt_start(c, engine, why, sizeof(why)) != 0)
		fail("%s", why);
	if (lined != NULL && lined_start(lined, engine, why, sizeof(why)) != 0)
		fail("EximSocket %s: %s", c->exim_socket, why);
	log_msg(LOG_INFO, "exim listener %s on %s",
		lined != NULL ? "listening" : "off",
		c->exim_socket != NULL ? c->exim_socket : "-");
	conf_install(conf_ref(c));
	if (pthread_create(&mt, NULL, milter_thread, NULL) != 0)
		fail("cannot start the milter thread");
	log_msg(LOG_NOTICE, "%s %s started: milter on %s, config %s", IDENT,
		PACKAGE_VERSION, c->socket, conf_file);
	if (!foreground)
		null_stdio();
	notify_parent("");

	for (;;) {
		sig = sigwaitinfo(&sigs, &si);
		if (sig < 0)
			continue; /* EINTR */
		if (sig == SIGHUP || sig == SIGUSR1) {
			reload(engine, mapd, n_mapd, lined);
			continue;
		}
		if (sig == SIGUSR2) {
			tlsrpt_send_now();
			continue;
		}
		break;
	}
	stopping = 1;
	if (sig == SIGTERM && si.si_code == SI_TKILL && si.si_pid == getpid() &&
	    milter_exited) {
		log_msg(LOG_ERR, "libmilter stopped by itself: stopping");
		milter_failed = 1;
	} else {
		log_msg(LOG_NOTICE, "%s from pid %ld: stopping",
			sig == SIGTERM ? "SIGTERM" : "SIGINT", (long)si.si_pid);
	}
	smfi_stop();
	pthread_join(mt, NULL);
	tlsrpt_stop(); /* flushes the TLS-report journal */
	for (i = 0; i < n_mapd; i++)
		mapd_free(mapd[i]);
	control_free(ctl);
	metrics_http_stop(mh);
	lined_free(lined);
	/* Saves the state file, once (issue [harden] 6). */
	sts_engine_free(engine);
	pidfile_close(pidfd, c->pid_file);
	log_msg(LOG_NOTICE, "%s stopped", IDENT);
	log_flush();
	conf_install(NULL);
	conf_unref(c);
	return milter_failed ? 1 : 0;
}
