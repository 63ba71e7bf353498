# bench/report.sh - sourced by bench/run: writes RESULTS.md and the chart
# from $W/summary.tsv (section label n min median max p50 p99 maxlat).
# Uses med/ratio/verdict from bench/run.

# row LABEL: "| label | min | median | max | p50 | p99 | max |" for a rate
row() {
	awk -F'\t' -v k="$1" '$2 == k { printf "| %s | %d | %.0f | %.0f | %.0f | %.3f | %.3f | %.1f |\n",
		$2, $3, $4, $5, $6, $7, $8, $9; f = 1 } END { if (!f) printf "| %s | 0 | - | - | - | - | - | - |\n", k }' \
		"$W/summary.tsv"
}
# row1 LABEL UNIT: a single-valued figure: min / median / max
row1() {
	awk -F'\t' -v k="$1" -v u="$2" '$2 == k { printf "| %s | %d | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, u; f = 1 }
		END { if (!f) printf "| %s | 0 | - | - | - | %s |\n", k, u }' "$W/summary.tsv"
}
target() { # DESCRIPTION VALUE OP TARGET
	printf '| %s | %s | %s %s | %s |\n' "$1" "${2:-n/a}" "$3" "$4" "$(verdict "$2" "$3" "$4")"
}
# glance DESCRIPTION LIMIT PEER OURS: one row of the at-a-glance table
# (labels of rate figures; - for none)
glance() {
	local l p o
	l=$(med "$2") p=$(med "$3") o=$(med "$4")
	printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(dash "$l")" "$(dash "$p")" \
		"$(dash "$o")" "$(dash "$(ratio "$o" "$l")")" "$(dash "$(ratio "$o" "$p")")" \
		"$(dash "$(med "$2" 8)")" "$(dash "$(med "$3" 8)")" "$(dash "$(med "$4" 8)")"
}
dash() { if [ -z "$1" ] || [ "$1" = n/a ]; then echo -; else echo "$1"; fi; }
med0() { # median or 0 (chart data)
	local v
	v=$(med "$1")
	echo "${v:-0}"
}

# The floor under the cold path (issue 20 item 1): bench/coldfloor does
# what no engine can skip (the validated TXT query, the policy host's
# addresses, one TLS handshake, the GET) in one thread, with the
# library ours is built on; hs_ms is that handshake alone.
floor_report() {
	local s pr f
	echo "The floor: bench/coldfloor, pinned like the servers, calls the library's validated TXT query and" \
		"policy fetch (the policy host's addresses, of the families AddressFamilies auto picks as in ours," \
		"connect, TLS handshake, PKIX, GET, parse) for the" \
		"same domains in one thread, with no engine around them (no queues or worker threads, no MX/TLSA" \
		"state, no single flight); \`hs_ms\` is one more handshake + PKIX to the same host timed alone," \
		"mbedTLS's share. floor is built like ours (mbedTLS 2.28), floor13 like ours13 (mbedTLS 3.6)." \
		"ours / floor is what the engine costs; floor / peer is the best ratio any engine on this library" \
		"could reach."
	echo
	echo "| running process (next) | ms | / peer | ours / floor |"
	echo "|---|---|---|---|"
	pr=$(med cold/next/peer/ms)
	for s in floor floor13; do
		f=$(med "cold/next/$s/ms")
		[ -n "$f" ] || continue
		local o=ours
		[ $s = floor13 ] && o=ours13
		printf '| %s: TXT + fetch | %s | %s | %s |\n' "$s" "$f" "$(ratio "$f" "$pr")" \
			"$(dash "$(ratio "$(med "cold/next/$o/ms")" "$f")")"
		printf '| %s: the handshake alone | %s | %s | |\n' "$s" "$(med "cold/next/$s/hs_ms")" \
			"$(ratio "$(med "cold/next/$s/hs_ms")" "$pr")"
	done
	local md mn
	md=$(med cold/milter/ours/ms) mn=$(med cold/milter/ours-np/ms)
	if [ -n "$md" ] && [ -n "$mn" ]; then
		echo
		echo "The milter's cold RCPT with the STARTTLS probe takes $(awk -v a="$md" -v b="$mn" 'BEGIN { printf "%.2f", a - b }') ms" \
			"more than with \`Probe no\` (medians below); one mbedTLS 2.28 handshake alone takes" \
			"$(med cold/next/floor/hs_ms) ms here: the probe is one more handshake on the same pinned core," \
			"which no overlap can hide on one core."
	fi
	f=$(med cold/next/floor13/ms)
	if [ -n "$f" ] && [ -n "$pr" ]; then
		echo
		if awk -v f="$f" -v p="$pr" 'BEGIN { exit !(f / p > 0.5) }'; then
			echo "In this run the floor with mbedTLS 3.6 is $(ratio "$f" "$pr") of the peer's running lookup:" \
				"above the 0.5 that issue 20 asks of ours13, before any engine work. The Debian 13 target" \
				"is bound by the library (its generic-bignum P-256 and X25519; see the profile in" \
				"bench/analysis.md) and by validating DNSSEC in process, not by the engine."
		else
			echo "In this run the floor with mbedTLS 3.6 is $(ratio "$f" "$pr") of the peer's running lookup:" \
				"the Debian 13 target is not below the floor in this run."
		fi
	fi
}

write_report() {
	local md=$1 png=$2 mode key tr cm rc
	{
		echo "# mta-sts-milter benchmarks"
		echo
		echo "Written by \`make bench\` (bench/run); measured on ${RUN_DATE:-?}, source at commit" \
			"${COMMIT:-unknown} (the daemon and library that were measured)."
		echo
		echo "Machine: $(uname -srm); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores;" \
			"$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM." \
			"Peer: postfix-mta-sts-resolver $(dpkg-query -W -f '${Version}' postfix-mta-sts-resolver 2>/dev/null)," \
			"libmilter $(dpkg-query -W -f '${Version}' libmilter1.0.1 2>/dev/null)." \
			"Load average (1/5/15 min) before the run: $LOAD_BEFORE; after: $LOAD_AFTER" \
			"(the machine is shared: other work running at the same time lowers every figure)."
		echo
		echo "Method: every server runs in the loopback lab (tests/lab, own network namespace) pinned to cpu 0" \
			"(\`taskset -c 0\`), every load client on cpu 1. A/B/C are interleaved (the order rotates per run);" \
			"while one server is measured the other benchmark servers are stopped (SIGSTOP) so that their idle" \
			"threads do not share cpu 0 with it; each figure is measured $RUNS times for $SECS s; tables give min / median / max of the rate and the" \
			"median p50/p99 latency and the worst max latency over the runs. Ratios compare medians." \
			"The machine is noisy (about ±30 % run to run): compare ratios, not absolute numbers."
		echo
		echo "Load clients: bench/smload (socketmap, lock-step netstrings like a Postfix smtp process; a" \
			"query counts only if the reply starts with the expected prefix: \`OK\` or \`NOTFOUND\`)," \
			"bench/miload (milter protocol version 6 as Postfix speaks it: OPTNEG, macros, CONNECT, HELO," \
			"MAIL, RCPT, DATA, 5 headers, EOH, body, EOM with modifications, ABORT between messages on a" \
			"reused connection, or QUIT and a new connection per message; 4 sessions). Limits:" \
			"bench/smtrivial (epoll, fixed answer) and bench/noop_milter (libmilter, the callbacks a" \
			"recipient milter needs, each returning CONTINUE; \`noop-hdr\` also adds a header at EOM with" \
			"TCP_NODELAY on its listener over TCP)."
		echo
		echo "## Targets (issue 9)"
		echo
		echo "| target | measured | wanted | verdict |"
		echo "|---|---|---|---|"
		for mode in persist1 persist4 newconn1; do
			for key in enforce nopolicy; do
				target "policy map $mode $key: ours / trivial" \
					"$(ratio "$(med map/$mode/$key/ours)" "$(med map/$mode/$key/trivial)")" ">=" 0.9
			done
		done
		for mode in persist1 persist4 newconn1; do
			target "no-policy domain $mode: ours / peer" \
				"$(ratio "$(med map/$mode/nopolicy/ours)" "$(med map/$mode/nopolicy/peer)")" ">=" 15
		done
		for tr in tcp unix; do
			for cm in reuse newconn; do
				for rc in 1 10; do
					target "milter $tr $cm ${rc} rcpt: ours (tagging, default config) / noop-hdr" \
						"$(ratio "$(med milter/$tr/$cm/r$rc/ours)" "$(med milter/$tr/$cm/r$rc/noop-hdr)")" ">=" 0.9
					target "milter $tr $cm ${rc} rcpt: ours-np (tagging, Probe no) / noop-hdr" \
						"$(ratio "$(med milter/$tr/$cm/r$rc/ours-np)" "$(med milter/$tr/$cm/r$rc/noop-hdr)")" ">=" 0.9
				done
			done
		done
		target "cold first lookup, fresh process: ours / peer (median latency)" \
			"$(ratio "$(med cold/first/ours/ms)" "$(med cold/first/peer/ms)")" "<=" 1.0
		target "cold first lookup, running process: ours / peer (median latency)" \
			"$(ratio "$(med cold/next/ours/ms)" "$(med cold/next/peer/ms)")" "<=" 1.0
		target "cold first lookup, fresh process, Debian 13 (mbedTLS 3.6): ours13 / peer" \
			"$(ratio "$(med cold/first/ours13/ms)" "$(med cold/first/peer/ms)")" "<=" 0.5
		target "cold first lookup, running process, Debian 13 (mbedTLS 3.6): ours13 / peer" \
			"$(ratio "$(med cold/next/ours13/ms)" "$(med cold/next/peer/ms)")" "<=" 0.5
		target "milter cold RCPT: default (fetch + probe) / Probe no (median latency)" \
			"$(ratio "$(med cold/milter/ours/ms)" "$(med cold/milter/ours-np/ms)")" "<=" 1.0
		target "1,000 concurrent cold lookups: TXT queries (ours → NSD + resolver)" \
			"$(awk -v a="$(med cold/concurrent1000/ours/txt_to_nsd)" -v b="$(med cold/concurrent1000/ours/txt_to_resolver)" \
				'BEGIN { if (a == "" && b == "") print "n/a"; else print a + b }')" "==" 1
		target "1,000 concurrent cold lookups: HTTPS fetches (ours)" \
			"$(med cold/concurrent1000/ours/https_fetches)" "==" 1
		local aa=""
		[ -n "$(med shared/warm/aa_control)" ] && aa=" (A/A CONTROL RUN: neither daemon had the tier)"
		target "SharedCache: warm map rate, tier on / off (persist1; median of interleaved A/B pairs)$aa" \
			"$(ratio "$(med shared/warm/ratio)" 1)" ">=" 0.95
		target "SharedCache: warm daemon CPU per answer, tier off / on (the same, without other load's share)$aa" \
			"$(ratio "$(med shared/warm/cpu_ratio)" 1)" ">=" 0.95
		target "SharedCache: cold lookup latency, fetch / found in Redis (median of per-domain pairs)" \
			"$(ratio "$(med shared/cold/ratio)" 1)" ">=" 5
		target "map under attack (slow lookups + non-readers): cached p99 (ms)" \
			"$(med hostile/attack/ours 8)" "<=" 10
		target "map with 2,000 slow connections open: cached p99 (ms)" \
			"$(med hostile/flood/ours 8)" "<=" 10
		target "RSS with 1M cached policies (MiB)" "$(med mem/1000000/rss_mib)" "<=" 512
		target "state file load, 1M entries (s)" "$(med mem/1000000/load_s)" "<=" 1
		echo
		echo "(The concurrent-lookup counts must be exactly 1: a 0 would mean the lookup never reached the" \
			"servers; see the raw figures below.)"
		echo
		echo "## Limit / peer / ours at a glance"
		echo
		echo "Medians of the rate (queries or messages per second) and of the p99 latency. Limit: bench/smtrivial" \
			"for the map, bench/noop_milter with a header at EOM (\`noop-hdr\`) for the milter. The peer" \
			"(postfix-mta-sts-resolver) has no milter. Attack rows: the same cached queries on one connection while" \
			"bench/slowconn holds slow connections open on the server being measured (each trickles a netstring," \
			"a byte a second; reopened when closed)."
		echo
		echo "| workload | limit /s | peer /s | ours /s | ours / limit | ours / peer | limit p99 ms | peer p99 ms | ours p99 ms |"
		echo "|---|---|---|---|---|---|---|---|---|"
		glance "map, cached, 1 connection" map/persist1/enforce/trivial map/persist1/enforce/peer map/persist1/enforce/ours
		glance "map, no policy, 1 connection" map/persist1/nopolicy/trivial map/persist1/nopolicy/peer map/persist1/nopolicy/ours
		glance "map, cached, new connection each" map/newconn1/enforce/trivial map/newconn1/enforce/peer map/newconn1/enforce/ours
		for a in $(awk -F'\t' '$2 ~ /^attack\/slow[0-9]+\/ours$/ { split($2, x, "/"); print x[2] }' "$W/summary.tsv"); do
			glance "map, cached, 1 connection, ${a#slow} slow connections open" \
				attack/$a/trivial attack/$a/peer attack/$a/ours
		done
		for tr in tcp unix; do
			for cm in reuse newconn; do
				glance "milter $tr, $cm, 1 rcpt" milter/$tr/$cm/r1/noop-hdr - milter/$tr/$cm/r1/ours
				glance "milter $tr, $cm, 10 rcpt" milter/$tr/$cm/r10/noop-hdr - milter/$tr/$cm/r10/ours
			done
		done
		for sc in flood attack; do # bench section hostile ([harden]), when present
			grep -q "	hostile/$sc/ours	" "$W/summary.tsv" &&
				glance "map under attack, in process ($sc; tests/socketmap/t_hostile)" - - hostile/$sc/ours
		done
		echo
		# hand-written: what bounds each missed target (profiles)
		[ -f "$SRC/bench/analysis.md" ] && { cat "$SRC/bench/analysis.md"; echo; }
		echo "## Policy map throughput (queries/s)"
		echo
		echo "Keys: \`enforce\` = $ENFORCE (policy cached), \`nopolicy\` = $NOPOLICY (no _mta-sts record)." \
			"Modes: one persistent connection, 4 persistent connections, a new connection per query."
		echo
		echo "| figure | runs | min | median | max | p50 ms | p99 ms | max ms |"
		echo "|---|---|---|---|---|---|---|---|"
		for mode in persist1 persist4 newconn1; do
			for key in enforce nopolicy; do
				for s in ours peer trivial; do row "map/$mode/$key/$s"; done
			done
		done
		echo
		echo "## Milter throughput (messages/s, 4 sessions)"
		echo
		echo "Recipients in $ENFORCE (policy cached, so ours adds its header to every message)." \
			"\`ours\` runs the default configuration (Probe yes: the matching MX host is STARTTLS-probed);" \
			"\`ours-np\` the same with \`Probe no\`. \`noop\` = no-op libmilter milter, \`noop-hdr\` = the same adding a" \
			"header at EOM (TCP_NODELAY on its listener over TCP): the fair limit for a tagging milter."
		echo
		echo "| figure | runs | min | median | max | p50 ms | p99 ms | max ms |"
		echo "|---|---|---|---|---|---|---|---|"
		for tr in tcp unix; do
			for cm in reuse newconn; do
				for rc in 1 10; do
					for s in ours ours-np noop noop-hdr; do row "milter/$tr/$cm/r$rc/$s"; done
				done
			done
		done
		echo
		echo "### The Nagle trap"
		echo
		echo "libmilter writes the header modification and the final EOM reply as two packets and does not" \
			"set TCP_NODELAY, so over TCP the final reply waits for the MTA's delayed ACK:"
		echo
		echo "| figure | runs | min | median | max | p50 ms | p99 ms | max ms |"
		echo "|---|---|---|---|---|---|---|---|"
		row milter/tcp/reuse/r1/noop-hdr-nagle
		row milter/tcp/reuse/r1/noop-hdr
		row milter/tcp/reuse/r1/ours
		row milter/tcp/reuse/r1/ours-np
		echo
		echo "### What a header callback costs (unix socket, reused connections, 1 recipient)"
		echo
		echo "\`noop-hdr\` plus an \`xxfi_header\` callback: with a reply to each of the 5 headers" \
			"(\`noop-hr\`, what libmilter negotiates by default), and with \`SMFIP_NR_HDR\` asked for in" \
			"\`xxfi_negotiate\` and \`SMFIS_NOREPLY\` from the callback (\`noop-hrn\`; Postfix then sends the" \
			"headers in one batch):"
		echo
		echo "| figure | runs | min | median | max | p50 ms | p99 ms | max ms |"
		echo "|---|---|---|---|---|---|---|---|"
		row milter/unix/reuse/r1/noop-hdr
		row milter/unix/reuse/r1/noop-hr
		row milter/unix/reuse/r1/noop-hrn
		row milter/unix/reuse/r1/ours-np
		echo
		echo "Fix used by ours: TCP_NODELAY on libmilter's listening socket (found through /proc/self/fd" \
			"after smfi_opensocket; accepted sockets inherit it on Linux), see milter/nodelay.c; bench/noop_milter" \
			"-N does the same. Alternative: a unix socket (\`Socket unix:/run/mta-sts-milter/milter.sock\`," \
			"Postfix \`smtpd_milters = unix:...\`), which has no Nagle algorithm; see the unix rows above." \
			"Tail latency: compare max ms of reused against new connections (Debian's libmilter worker pool" \
			"stalls some reused sessions)."
		echo
		echo "## Cold path"
		echo
		echo "First lookup of a domain nobody asked for before, latency in ms (one lookup each, min/median/max" \
			"over the samples). cold/first: the daemon started 1 s earlier with an empty cache and the lab" \
			"resolver's cache flushed; cold/next: further new domains asked of the same running daemon (root and" \
			"test. delegations cached). ours13 is ours built against Debian 13's mbedTLS 3.6 (tests/mbedtls3-build," \
			"TLS 1.3), when that build was present; oursB a second build given as BENCH_DAEMON_B."
		echo
		echo "| figure | samples | min | median | max | unit |"
		echo "|---|---|---|---|---|---|"
		for f in first next; do
			for s in ours peer ours13 oursB; do
				grep -q "	cold/$f/$s/ms	" "$W/summary.tsv" && row1 "cold/$f/$s/ms" ms
			done
		done
		# the floor of a running process (its first lookup also
		# starts libunbound's thread, which the daemon does at start-up)
		for s in floor floor13; do
			grep -q "	cold/next/$s/ms	" "$W/summary.tsv" && row1 "cold/next/$s/ms" ms
			grep -q "	cold/next/$s/hs_ms	" "$W/summary.tsv" && row1 "cold/next/$s/hs_ms" ms
		done
		echo
		if grep -q "	cold/next/floor/ms	" "$W/summary.tsv"; then
			floor_report
			echo
		fi
		echo "The milter's cold RCPT: one message with one recipient in a domain nobody asked for (new" \
			"connection; MAIL to the final reply, the first domain after start and the next ones as above)," \
			"with the default configuration (policy fetch and STARTTLS probe of the matching MX host) and with" \
			"\`Probe no\` (the fetch alone):"
		echo
		echo "| figure | samples | min | median | max | unit |"
		echo "|---|---|---|---|---|---|"
		row1 cold/milter/ours/ms ms
		row1 cold/milter/ours-np/ms ms
		echo
		echo "1,000 concurrent lookups (new connection each) of one cold domain; what reached the lab servers," \
			"counted on the wire by bench/dnscount (DNS TXT queries for _mta-sts.<domain>, by destination) and" \
			"in nginx's access log (policy fetches):"
		echo
		echo "| figure | runs | min | median | max | unit |"
		echo "|---|---|---|---|---|---|"
		for s in ours peer; do
			for f in txt_to_resolver txt_to_nsd https_fetches; do row1 "cold/concurrent1000/$s/$f" count; done
		done
		echo
		echo "| figure | runs | min | median | max | p50 ms | p99 ms | max ms |"
		echo "|---|---|---|---|---|---|---|---|"
		row cold/concurrent1000/ours
		row cold/concurrent1000/peer
		echo
		echo "(Rate here is answers starting with OK per second of the whole burst; errors are answers other" \
			"than OK, e.g. a temporary failure while the fetch was still running.)"
		echo
		echo "## Shared cache tier (SharedCache, doc/fleet.md)"
		echo
		echo "A redis-server in the lab; two daemons, one with \`SharedCache\` (ours-sh) and one without" \
			"(ours-ns). Warm: the map rate for $ENFORCE with the policy in the first tier (one persistent" \
			"connection), measured in A/B pairs whose order alternates; each pair's ours-sh/ours-ns is one" \
			"sample of the ratio; the daemon's CPU time (user + system, all threads, from /proc) per answer is" \
			"taken over the same runs: the rate also counts the time other work on the machine took from the" \
			"daemon, its CPU time does not. Cold: per round Redis is emptied, a third daemon fetches the cold domains and" \
			"writes them to Redis, then both daemons start afresh (empty first tier and resolver cache); per" \
			"domain, in alternating order, the first lookup by ours-sh (Redis GET, no TXT query, no fetch:" \
			"redis) and by ours-ns (TXT + HTTPS fetch: fetch), both followed by the next hop's MX/TLSA lookup" \
			"as in every cold lookup; fetch/redis of the pair is one sample of the ratio (latency in ms in the" \
			"p50 column, one query per sample). redis_hits: Redis keyspace hits per round (must equal the" \
			"number of cold domains)."
		echo
		echo "| figure | runs | min | median | max | p50 ms | p99 ms | max ms |"
		echo "|---|---|---|---|---|---|---|---|"
		row shared/warm/persist1/ours-sh
		row shared/warm/persist1/ours-ns
		row shared/cold/redis
		row shared/cold/fetch
		echo
		echo "| ratio / count | samples | min | median | max | unit |"
		echo "|---|---|---|---|---|---|"
		row1 shared/warm/ratio "× (ours-sh / ours-ns rate)"
		row1 shared/warm/cpu_us/ours-sh "µs daemon CPU per answer"
		row1 shared/warm/cpu_us/ours-ns "µs daemon CPU per answer"
		row1 shared/warm/cpu_ratio "× (ours-ns / ours-sh CPU per answer)"
		row1 shared/cold/ratio "× (fetch / redis latency)"
		row1 shared/cold/redis_hits "GETs answered per round"
		echo
		echo "## Memory and start-up"
		echo
		echo "bench/stateload: a state file in the engine's format with N policies is generated, then" \
			"sts_engine_new() loads it (RSS growth measured from /proc/self/status), sts_engine_save() writes it."
		echo
		echo "| figure | runs | min | median | max | unit |"
		echo "|---|---|---|---|---|---|"
		for n in 100000 1000000; do
			row1 mem/$n/rss_mib MiB
			row1 mem/$n/load_s s
			row1 mem/$n/load_cpu_s "s CPU"
			row1 mem/$n/save_s s
			row1 mem/$n/file_mib MiB
		done
		echo
		if [ -s "$W/failures" ]; then
			echo "## Benchmarks that failed to run"
			echo
			sed 's/^/- /' "$W/failures"
			echo
		fi
		echo "## Every figure"
		echo
		echo "| section | figure | runs | min | median | max | p50 ms | p99 ms | max ms |"
		echo "|---|---|---|---|---|---|---|---|---|"
		awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }' \
			"$W/summary.tsv"
		echo
		echo "![chart](results.png)"
	} >"$md"

	# chart data: medians (0 when missing)
	{
		echo "case ours peer trivial"
		for mode in persist1 persist4 newconn1; do
			for key in enforce nopolicy; do
				echo "$mode/$key $(med0 map/$mode/$key/ours) $(med0 map/$mode/$key/peer) $(med0 map/$mode/$key/trivial)"
			done
		done
	} >"$W/map.dat"
	{
		echo "case ours ours-np noop noop-hdr"
		for tr in tcp unix; do
			for cm in reuse newconn; do
				for rc in 1 10; do
					echo "$tr/$cm/r$rc $(med0 milter/$tr/$cm/r$rc/ours) $(med0 milter/$tr/$cm/r$rc/ours-np)" \
						"$(med0 milter/$tr/$cm/r$rc/noop) $(med0 milter/$tr/$cm/r$rc/noop-hdr)"
				done
			done
		done
	} >"$W/milter.dat"
	gnuplot -e "mapdat='$W/map.dat'; milterdat='$W/milter.dat'; out='$png'" "$SRC/bench/plot.gp" 2>"$W/gnuplot.err" ||
		fail "gnuplot: $(tail -n 3 "$W/gnuplot.err")"
}
