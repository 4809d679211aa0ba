/*
 * lwip_host: the lwIP TCP/IP stack (Debian's liblwip, Unix port) on a Linux tap, as a host the harness can test.
 *
 * Services: ARP and ICMP echo (lwIP's own), UDP echo on port 7, TCP echo on port 7 and TCP discard on port 9.
 * Configured from the environment the harness gives an external host:
 *   HARNESS_IFNAME   tap to attach to or create (default lwip0; the first argument overrides it)
 *   HARNESS_ADDRESS  IPv4 address, optionally with a prefix length: 10.0.0.2/24 (required)
 *   HARNESS_NETMASK  netmask when the address has no prefix length (default 255.255.255.0)
 *   HARNESS_GATEWAY  default gateway (optional)
 *   HARNESS_MAC      MAC address aa:bb:cc:dd:ee:ff (default 02:00:00:00:00:02)
 *   HARNESS_MTU      MTU of lwIP's interface (default 1500)
 * Prints "lwip_host: up IFNAME ADDRESS MAC mtu N" once the interface is up, then runs until SIGINT or SIGTERM.
 *
 * The stack runs in lwIP's tcpip thread (NO_SYS=0 in Debian's build); the raw-API callbacks below run there, and
 * setup is done holding the core lock.
 *
 * The tap driver is our own rather than the Unix port's tapif: in Debian's liblwip 2.1.3, tapif copies each frame
 * into a PBUF_POOL pbuf and writes past the 616-byte block behind it, so any frame longer than about 590 bytes
 * corrupts the heap (valgrind: invalid write in pbuf_take from tapif's input thread).
 * Waiting for the Linux side of the tap to come up before lwIP's interface does also lets its gratuitous ARP
 * reach the wire instead of failing with EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "lwip/udp.h"
#include "netif/etharp.h"

#define ECHO_PORT 7
#define DISCARD_PORT 9

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "lwip_host: %s: %s\n", what, detail);
    exit(2);
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : fallback;
}

static void parse_ipv4(const char *name, const char *text, ip4_addr_t *out)
{
    if (!ip4addr_aton(text, out)) fail(name, "not an IPv4 address");
}

static void parse_mac(const char *text, u8_t mac[6])
{
    unsigned int b[6];
    char extra;
    if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &extra) != 6)
        fail("HARNESS_MAC", "not a MAC address aa:bb:cc:dd:ee:ff");
    for (int i = 0; i < 6; i++) mac[i] = (u8_t)b[i];
}

/* ---- the tap: frames in from a reader thread through tcpip_input, frames out with one write each ---- */

#define MAX_FRAME (1500 + 14 + 4)

static int tap_fd = -1;
static unsigned long tap_write_errors;

static int tap_open(const char *name)
{
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) fail("/dev/net/tun", strerror(errno));
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) fail("TUNSETIFF", strerror(errno));
    return fd;
}

/* Whether the Linux side of the tap is up and, when it is a bridge port, forwarding: the harness enslaves it to its
 * bridge and brings it up in one step, but the kernel shows IFF_UP a moment before the bridge enables the port, and a
 * frame sent in that moment (our ARP announcement) is dropped by the bridge. */
static int tap_is_up(const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/class/net/%s/flags", name);
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    unsigned int flags = 0;
    int n = fscanf(f, "%x", &flags);
    fclose(f);
    if (n != 1 || (flags & IFF_UP) == 0) return 0;
    snprintf(path, sizeof path, "/sys/class/net/%s/brport/state", name);
    f = fopen(path, "r");
    if (f == NULL) return 1; /* not a bridge port */
    int state = -1;
    n = fscanf(f, "%d", &state);
    fclose(f);
    return n == 1 && state == 3; /* BR_STATE_FORWARDING */
}

static err_t tap_linkoutput(struct netif *netif, struct pbuf *p)
{
    unsigned char frame[MAX_FRAME];
    (void)netif;
    if (p->tot_len > sizeof frame) return ERR_BUF;
    u16_t n = pbuf_copy_partial(p, frame, p->tot_len, 0);
    if (write(tap_fd, frame, n) != (ssize_t)n) tap_write_errors++;
    return ERR_OK;
}

static void *tap_reader(void *arg)
{
    struct netif *netif = arg;
    unsigned char frame[MAX_FRAME];
    for (;;) {
        ssize_t n = read(tap_fd, frame, sizeof frame);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            fail("tap read", strerror(errno));
        }
        if (n < 14) continue;
        struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)n, PBUF_RAM);
        if (p == NULL) continue; /* out of memory: the frame is lost, as on a real NIC */
        pbuf_take(p, frame, (u16_t)n);
        if (netif->input(p, netif) != ERR_OK) pbuf_free(p);
    }
    return NULL;
}

struct tap_config {
    u8_t mac[6];
    u16_t mtu;
};

static err_t tap_netif_init(struct netif *netif)
{
    const struct tap_config *config = netif->state;
    netif->name[0] = 't';
    netif->name[1] = 'p';
    netif->output = etharp_output;
    netif->linkoutput = tap_linkoutput;
    netif->mtu = config->mtu;
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, config->mac, 6);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

/* ---- UDP echo: each datagram goes back to where it came from. ---- */

static void udp_echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port)
{
    (void)arg;
    if (p == NULL) return;
    udp_sendto(pcb, p, addr, port);
    pbuf_free(p);
}

/* ---- TCP echo: what arrives is written back as the send buffer allows; the receive window is reopened only
 * for bytes written, so a peer that does not read its echo is flow-controlled. A FIN is answered with a FIN
 * once everything received has been echoed. ---- */

struct echo_conn {
    struct pbuf *pending; /* received, not yet written back */
    int peer_closed;
};

static void echo_close(struct tcp_pcb *pcb, struct echo_conn *c)
{
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    if (c->pending != NULL) pbuf_free(c->pending);
    free(c);
    if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
}

static void echo_drain(struct tcp_pcb *pcb, struct echo_conn *c)
{
    while (c->pending != NULL && tcp_sndbuf(pcb) > 0) {
        u16_t n = c->pending->len;
        if (n > tcp_sndbuf(pcb)) n = tcp_sndbuf(pcb);
        if (tcp_write(pcb, c->pending->payload, n, TCP_WRITE_FLAG_COPY) != ERR_OK) break;
        tcp_recved(pcb, n);
        c->pending = pbuf_free_header(c->pending, n);
    }
    tcp_output(pcb);
    if (c->pending == NULL && c->peer_closed) echo_close(pcb, c);
}

static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct echo_conn *c = arg;
    (void)err;
    if (p == NULL) {
        c->peer_closed = 1;
    } else if (c->pending == NULL) {
        c->pending = p;
    } else {
        pbuf_cat(c->pending, p);
    }
    echo_drain(pcb, c);
    return ERR_OK;
}

static err_t echo_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)len;
    echo_drain(pcb, arg);
    return ERR_OK;
}

static void echo_error(void *arg, err_t err)
{
    struct echo_conn *c = arg; /* the pcb is already freed */
    (void)err;
    if (c == NULL) return;
    if (c->pending != NULL) pbuf_free(c->pending);
    free(c);
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || pcb == NULL) return ERR_VAL;
    struct echo_conn *c = calloc(1, sizeof *c);
    if (c == NULL) return ERR_MEM;
    tcp_arg(pcb, c);
    tcp_recv(pcb, echo_recv);
    tcp_sent(pcb, echo_sent);
    tcp_err(pcb, echo_error);
    return ERR_OK;
}

/* ---- TCP discard: everything received is acknowledged and dropped; a FIN is answered with a FIN. ---- */

static err_t discard_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    (void)err;
    if (p == NULL) {
        tcp_recv(pcb, NULL);
        if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
        return ERR_OK;
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t discard_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || pcb == NULL) return ERR_VAL;
    tcp_recv(pcb, discard_recv);
    return ERR_OK;
}

static void listen_tcp(u16_t port, tcp_accept_fn accept)
{
    struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
    if (pcb == NULL) fail("tcp_new", "out of memory");
    if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) fail("tcp_bind", "port in use");
    pcb = tcp_listen(pcb);
    if (pcb == NULL) fail("tcp_listen", "out of memory");
    tcp_accept(pcb, accept);
}

/* ---- setup ---- */

static sys_sem_t started;

static void tcpip_started(void *arg)
{
    (void)arg;
    sys_sem_signal(&started);
}

int main(int argc, char **argv)
{
    const char *ifname = argc > 1 ? argv[1] : env_or("HARNESS_IFNAME", "lwip0");
    const char *address = getenv("HARNESS_ADDRESS");
    if (address == NULL || address[0] == '\0') fail("HARNESS_ADDRESS", "not set (e.g. 10.0.0.2/24)");
    if (strlen(ifname) >= 16) fail("interface name", "longer than 15 characters");

    char addrtext[64];
    snprintf(addrtext, sizeof addrtext, "%s", address);
    ip4_addr_t ip, mask, gw;
    char *slash = strchr(addrtext, '/');
    if (slash != NULL) {
        *slash = '\0';
        char *end;
        long len = strtol(slash + 1, &end, 10);
        if (*end != '\0' || len < 0 || len > 32) fail("HARNESS_ADDRESS", "prefix length is not 0..32");
        ip4_addr_set_u32(&mask, len == 0 ? 0 : lwip_htonl(0xffffffffUL << (32 - len)));
    } else {
        parse_ipv4("HARNESS_NETMASK", env_or("HARNESS_NETMASK", "255.255.255.0"), &mask);
    }
    parse_ipv4("HARNESS_ADDRESS", addrtext, &ip);
    ip4_addr_set_zero(&gw);
    if (getenv("HARNESS_GATEWAY") != NULL && getenv("HARNESS_GATEWAY")[0] != '\0')
        parse_ipv4("HARNESS_GATEWAY", getenv("HARNESS_GATEWAY"), &gw);
    u8_t mac[6];
    parse_mac(env_or("HARNESS_MAC", "02:00:00:00:00:02"), mac);
    char *end;
    long mtu = strtol(env_or("HARNESS_MTU", "1500"), &end, 10);
    if (*end != '\0' || mtu < 576 || mtu > 1500) fail("HARNESS_MTU", "not a number in 576..1500");

    static struct tap_config config;
    memcpy(config.mac, mac, 6);
    config.mtu = (u16_t)mtu;
    tap_fd = tap_open(ifname);
    srand((unsigned)time(NULL) ^ (unsigned)getpid());

    /* Every thread lwIP starts inherits this mask, so only main's sigwait sees SIGINT/SIGTERM. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    if (sys_sem_new(&started, 0) != ERR_OK) fail("sys_sem_new", "failed");
    tcpip_init(tcpip_started, NULL);
    sys_sem_wait(&started);

    /* Bounded: a tap nobody brings up still gets lwIP up after 10 s (its first frames then fail with EIO). */
    for (int i = 0; i < 1000 && !tap_is_up(ifname); i++) usleep(10000);

    static struct netif netif;
    LOCK_TCPIP_CORE();
    if (netif_add(&netif, &ip, &mask, &gw, &config, tap_netif_init, tcpip_input) == NULL) fail("netif_add", "failed");
    netif_set_default(&netif);
    netif_set_link_up(&netif);
    netif_set_up(&netif);

    struct udp_pcb *udp = udp_new_ip_type(IPADDR_TYPE_V4);
    if (udp == NULL || udp_bind(udp, IP4_ADDR_ANY, ECHO_PORT) != ERR_OK) fail("udp echo", "cannot bind port 7");
    udp_recv(udp, udp_echo_recv, NULL);
    listen_tcp(ECHO_PORT, echo_accept);
    listen_tcp(DISCARD_PORT, discard_accept);
    UNLOCK_TCPIP_CORE();

    pthread_t reader;
    if (pthread_create(&reader, NULL, tap_reader, &netif) != 0) fail("pthread_create", "tap reader");

    printf("lwip_host: up %s %s %02x:%02x:%02x:%02x:%02x:%02x mtu %ld (lwIP %s)\n", ifname, address,
           mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], mtu, LWIP_VERSION_STRING);
    fflush(stdout);

    int sig;
    while (sigwait(&stop, &sig) != 0) {}
    printf("lwip_host: signal %d, exiting (%lu tap write errors)\n", sig, tap_write_errors);
    return 0;
}
