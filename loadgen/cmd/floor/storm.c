// storm.c: the floor of a 10,000-replica connection storm on this machine,
// with no runtime in the way: one single-threaded epoll loop per process,
// non-blocking sockets, and the byte pattern of a QtRO initialization
// (host: 120 bytes of Handshake + ObjectList on accept; replica: 40 bytes of
// AddObject; host: 300 bytes of Init). A replica counts as Valid when its
// 300 bytes arrived. Nothing is parsed: this is what the kernel and the
// machine cost, which no QtRO implementation can beat.
//
//   storm host tcp 127.0.0.1 PORT | storm host unix PATH
//   storm clients tcp 127.0.0.1 PORT N P | storm clients unix PATH N P
//
// P bounds the connects in flight (0: all at once).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { GREET = 120, ADD = 40, INIT = 300 };

static struct sockaddr_storage addr;
static socklen_t addrlen;
static int is_tcp;

static void die(const char *what) { perror(what); exit(1); }

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void raise_nofile(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max; // host and clients are separate processes: each needs 10,000
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void parse_addr(char **argv) {
    memset(&addr, 0, sizeof addr);
    if (strcmp(argv[2], "tcp") == 0) {
        struct sockaddr_in *in = (struct sockaddr_in *)&addr;
        in->sin_family = AF_INET;
        in->sin_port = htons(atoi(argv[4]));
        inet_pton(AF_INET, argv[3], &in->sin_addr);
        addrlen = sizeof *in;
        is_tcp = 1;
    } else {
        struct sockaddr_un *un = (struct sockaddr_un *)&addr;
        un->sun_family = AF_UNIX;
        strncpy(un->sun_path, argv[3], sizeof un->sun_path - 1);
        addrlen = sizeof *un;
    }
}

static void nodelay(int fd) {
    int one = 1;
    if (is_tcp) setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // as Qt and Go do
}

// Per-connection state, indexed by fd.
struct conn { int got; int phase; long long start; };

__attribute__((noreturn)) static void host(void) {
    int ls = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (ls < 0) die("socket");
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (!is_tcp) unlink(((struct sockaddr_un *)&addr)->sun_path);
    if (bind(ls, (struct sockaddr *)&addr, addrlen) < 0) die("bind");
    if (listen(ls, 4096) < 0) die("listen");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    static struct conn cs[65536];
    char greet[GREET] = {0}, init[INIT] = {0}, buf[4096];
    printf("ready\n");
    fflush(stdout);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    nodelay(c);
                    cs[c].got = 0;
                    if (write(c, greet, GREET) != GREET) die("write greet"); // fits an empty socket buffer
                    struct epoll_event e = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
                }
                continue;
            }
            ssize_t r = read(fd, buf, sizeof buf);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                close(fd);
                continue;
            }
            if (cs[fd].got < ADD && (cs[fd].got += r) >= ADD)
                if (write(fd, init, INIT) != INIT) die("write init");
        }
    }
}

static int cmp_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static int clients(int total, int par) {
    int ep = epoll_create1(0);
    static struct conn cs[65536];
    static long long took[20000];
    char add[ADD] = {0}, buf[4096];
    int started = 0, inflight = 0, valid = 0, ntook = 0;
    long long t0 = now_ns();
    struct epoll_event evs[256];
    while (valid < total) {
        while (started < total && (par == 0 || inflight < par)) {
            int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (fd < 0) die("socket");
            nodelay(fd);
            if (connect(fd, (struct sockaddr *)&addr, addrlen) < 0 && errno != EINPROGRESS) {
                if (errno == EAGAIN) { close(fd); break; } // unix backlog full: retry after the next events
                die("connect");
            }
            cs[fd] = (struct conn){.got = 0, .phase = 0, .start = now_ns()};
            struct epoll_event e = {.events = EPOLLIN, .data.fd = fd};
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
            started++;
            inflight++;
        }
        int n = epoll_wait(ep, evs, 256, started < total ? 1 : 1000);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            ssize_t r = read(fd, buf, sizeof buf);
            if (r < 0 && errno == EAGAIN) continue;
            if (r <= 0) die("read");
            cs[fd].got += r;
            if (cs[fd].phase == 0 && cs[fd].got >= GREET) {
                cs[fd].phase = 1;
                cs[fd].got -= GREET;
                if (write(fd, add, ADD) != ADD) die("write add");
            }
            if (cs[fd].phase == 1 && cs[fd].got >= INIT) {
                cs[fd].phase = 2;
                took[ntook++] = now_ns() - cs[fd].start;
                valid++;
                inflight--;
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
            }
        }
    }
    long long wall = now_ns() - t0;
    // p50 and max of connect → Valid
    long long mx = 0;
    for (int i = 0; i < ntook; i++) if (took[i] > mx) mx = took[i];
    qsort(took, ntook, sizeof took[0], cmp_ll);
    printf("%s N=%d P=%d: all Valid after %.1f ms; per connection p50 %.1f ms, max %.1f ms\n",
           is_tcp ? "tcp" : "unix", total, par, wall / 1e6, took[ntook / 2] / 1e6, mx / 1e6);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: storm host|clients tcp IP PORT [N P] | unix PATH [N P]\n");
        return 2;
    }
    raise_nofile();
    parse_addr(argv);
    int rest = is_tcp ? 5 : 4;
    if (strcmp(argv[1], "host") == 0) {
        host();
        return 0;
    }
    int total = argc > rest ? atoi(argv[rest]) : 10000;
    int par = argc > rest + 1 ? atoi(argv[rest + 1]) : 512;
    if (total > 20000) total = 20000;
    return clients(total, par);
}
