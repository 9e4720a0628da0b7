/* pcaploop.c - the reference: a plain libpcap pcap_next_ex loop that only
 * counts destination ports (Ethernet/IPv4/IPv6, TCP/UDP).  bench/run.sh times
 * it beside darkscope ingest on the same capture. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t counts[2][65536];

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fprintf(stderr, "usage: bench_pcaploop FILE\n");
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "bench_pcaploop: %s\n", err);
		return 1;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &d)) == 1) {
		n++;
		if (h->caplen < 14)
			continue;
		unsigned et = (unsigned)(d[12] << 8 | d[13]), off, proto;
		if (et == 0x0800 && h->caplen >= 34) {
			off = 14 + (d[14] & 15u) * 4;
			proto = d[23];
		} else if (et == 0x86dd && h->caplen >= 54) {
			off = 54;
			proto = d[20];
		} else {
			continue;
		}
		if ((proto == 6 || proto == 17) && h->caplen >= off + 4)
			counts[proto == 17][d[off + 2] << 8 | d[off + 3]]++;
	}
	uint64_t top = 0;
	for (int i = 0; i < 65536; i++)
		if (counts[0][i] > counts[0][top])
			top = (uint64_t)i;
	printf("%llu packets, top tcp port %llu (%llu)\n", (unsigned long long)n,
	       (unsigned long long)top, (unsigned long long)counts[0][top]);
	pcap_close(p);
	return rc == -2 ? 0 : 1;
}
