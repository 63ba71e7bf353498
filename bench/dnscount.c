/*
 * bench/dnscount.c - count what reaches the lab's servers, from the wire:
 * DNS queries for one name (by destination address and query type) and
 * TCP connections (SYNs) to the HTTPS address.  It reads every packet on
 * the loopback interface of the current network namespace through an
 * AF_PACKET socket (root), so it counts queries whatever the server logs.
 *
 *   dnscount -n NAME [-d secs] [-i ifname] [-H https_addr]
 *
 * Runs until SIGTERM/SIGINT or `secs`, then prints one line:
 *   RESULT name=dnscount qname=NAME txt=<all TXT> a=<A> other=<other>
 *          https_syn=<SYNs to :443> drops=<packets the kernel dropped>
 *          txt_to_<addr>=<TXT to that address>...
 * NAME matches the query name exactly (case-insensitive, without the
 * trailing dot).  IPv4 UDP and TCP (DNS over TCP: the first query of a
 * segment) to port 53 are parsed; IPv6 is not used in the lab.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DC_MAX_DST 8

static volatile sig_atomic_t stop;
static const char *want;
static unsigned long n_txt, n_a, n_other, n_syn;
static struct {
	uint32_t addr;
	unsigned long txt;
} dst[DC_MAX_DST];
static int ndst;
static uint32_t https_addr;

static void
on_sig(int sig)
{
	(void)sig;
	stop = 1;
}

/* Decode the question name at p (len bytes of DNS message) into out. */
static int
qname(const unsigned char *p, size_t len, char *out, size_t outsz, size_t *end)
{
	size_t i = 12, o = 0;

	while (i < len && p[i] != 0) {
		size_t l = p[i++];
		if (l > 63 || i + l > len || o + l + 2 > outsz)
			return -1;
		if (o > 0)
			out[o++] = '.';
		for (size_t k = 0; k < l; k++)
			out[o++] = (char)tolower(p[i + k]);
		i += l;
	}
	if (i + 5 > len)
		return -1;
	out[o] = '\0';
	*end = i + 1;
	return 0;
}

static void
dns(uint32_t daddr, const unsigned char *p, size_t len)
{
	char name[300];
	size_t end;
	unsigned qtype;
	int i;

	if (len < 17 || (p[2] & 0x80) != 0) /* a response, not a query */
		return;
	if (qname(p, len, name, sizeof(name), &end) < 0 ||
	    strcasecmp(name, want) != 0)
		return;
	qtype = (unsigned)p[end] << 8 | p[end + 1];
	if (qtype == 16) {
		n_txt++;
		for (i = 0; i < ndst && dst[i].addr != daddr; i++)
			;
		if (i == ndst && ndst < DC_MAX_DST)
			dst[ndst++].addr = daddr;
		if (i < DC_MAX_DST)
			dst[i].txt++;
	} else if (qtype == 1) {
		n_a++;
	} else {
		n_other++;
	}
}

/* The IP header starts 14 bytes into the frame, so no header may be read
 * in place: each is copied into an aligned local first (UBSan). */
static void
packet(const unsigned char *p, size_t len)
{
	struct ether_header eh;
	struct iphdr ipc, *ip = &ipc;
	struct udphdr u;
	struct tcphdr t;
	size_t ihl, off;

	if (len < sizeof(struct ether_header) + sizeof(struct iphdr))
		return;
	memcpy(&eh, p, sizeof(eh));
	if (ntohs(eh.ether_type) != ETHERTYPE_IP)
		return;
	p += sizeof(struct ether_header);
	len -= sizeof(struct ether_header);
	memcpy(&ipc, p, sizeof(ipc));
	ihl = (size_t)ip->ihl * 4;
	if (ihl < 20 || len < ihl)
		return;
	if (ip->protocol == IPPROTO_UDP && len >= ihl + 8) {
		memcpy(&u, p + ihl, sizeof(u));
		if (ntohs(u.dest) == 53)
			dns(ip->daddr, p + ihl + 8, len - ihl - 8);
	} else if (ip->protocol == IPPROTO_TCP && len >= ihl + 20) {
		memcpy(&t, p + ihl, sizeof(t));
		off = ihl + (size_t)t.doff * 4;
		if (ntohs(t.dest) == 443 && t.syn && !t.ack &&
		    (https_addr == 0 || ip->daddr == https_addr))
			n_syn++;
		/* DNS over TCP: 2-byte length, then the message */
		if (ntohs(t.dest) == 53 && len > off + 2)
			dns(ip->daddr, p + off + 2, len - off - 2);
	}
}

int
main(int argc, char **argv)
{
	const char *ifname = "lo";
	struct sockaddr_ll sll;
	unsigned char buf[65536];
	unsigned secs = 600;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
	socklen_t sl;
	ssize_t r;
	int fd, c;

	while ((c = getopt(argc, argv, "n:d:i:H:")) != -1) {
		switch (c) {
		case 'n':
			want = optarg;
			break;
		case 'd':
			secs = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'H':
			if (inet_pton(AF_INET, optarg, &https_addr) != 1)
				want = NULL;
			break;
		default:
			want = NULL;
			argc = 0;
			break;
		}
	}
	if (want == NULL) {
		fprintf(stderr, "usage: dnscount -n NAME [-d secs] [-i if] "
				"[-H https_addr]\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("dnscount: socket(AF_PACKET)");
		return 1;
	}
	/* Only what is counted reaches the socket: a burst of other traffic
	 * on lo (1,000 socketmap connections at once) must not fill its
	 * buffer while this process waits for a cpu and make the kernel drop
	 * the one DNS query or SYN that counts.  Ethernet framing on lo:
	 * IPv4, UDP or TCP, destination port 53 or 443. */
	{
		struct sock_filter code[] = {
			BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IP, 0, 8),
			BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_UDP, 1, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 5),
			BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14),
			BPF_STMT(BPF_LD | BPF_H | BPF_IND, 16),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 53, 1, 0),
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 443, 0, 1),
			BPF_STMT(BPF_RET | BPF_K, 0xffff),
			BPF_STMT(BPF_RET | BPF_K, 0),
		};
		struct sock_fprog prog = {
			.len = (unsigned short)(sizeof(code) / sizeof(code[0])),
			.filter = code};
		int big = 8 << 20;

		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
			       sizeof(prog)) < 0) {
			perror("dnscount: SO_ATTACH_FILTER");
			return 1;
		}
		/* root: past rmem_max; a failure leaves the default */
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big,
				 sizeof(big));
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sll.sll_ifindex == 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		perror("dnscount: bind");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	signal(SIGTERM, on_sig);
	signal(SIGINT, on_sig);
	signal(SIGALRM, on_sig);
	alarm(secs);
	fprintf(stderr, "dnscount: listening\n");
	while (!stop) {
		sl = sizeof(sll);
		r = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&sll,
			     &sl);
		if (r < 0)
			continue;
		/* on lo every packet is seen leaving and arriving: count
		 * the arrival only */
		if (sll.sll_pkttype == PACKET_OUTGOING)
			continue;
		packet(buf, (size_t)r);
	}
	{
		struct tpacket_stats ps;
		socklen_t pl = sizeof(ps);

		/* packets the kernel dropped for a full buffer: a count
		 * that missed some is not exact */
		if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &ps, &pl) < 0)
			ps.tp_drops = 0;
		printf("RESULT name=dnscount qname=%s txt=%lu a=%lu other=%lu "
		       "https_syn=%lu drops=%u",
		       want, n_txt, n_a, n_other, n_syn, ps.tp_drops);
	}
	for (int i = 0; i < ndst; i++) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &dst[i].addr, a, sizeof(a));
		printf(" txt_to_%s=%lu", a, dst[i].txt);
	}
	printf("\n");
	return 0;
}
