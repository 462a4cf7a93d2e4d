/*
 * berth egress forwarder: runs inside a sandbox whose network namespace has only loopback, listens on
 * 127.0.0.1:<port> for each PORT=SOCKET argument, and relays every connection, byte for byte, to the
 * unix socket SOCKET, where Berth's egress proxy (on the host) decides what may leave. It parses
 * nothing and decides nothing: a compromised or killed forwarder can only lose the sandbox its own
 * egress, never widen it, because the proxy behind the socket applies the policy to every connection.
 *
 *   egress-forwarder 3128=/.berth/egress/http.sock 1080=/.berth/egress/socks.sock -- cmd args...
 *
 * With `-- cmd args...` it starts serving in a child of its own session (so a shell's job control and
 * Berth's per-command process-group cleanup never reach it) and then execs the command in its place,
 * which keeps the command's pid (pid 1 of the sandbox, where it is). Static, so it runs in any image.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_LISTENERS 4

struct listener {
  int fd;
  const char *socket_path;
};

static int listen_on(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_port = htons((unsigned short)port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0 || listen(fd, 128) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static int connect_unix(const char *path) {
  struct sockaddr_un address = {0};
  if (strlen(path) >= sizeof address.sun_path) return -1;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  address.sun_family = AF_UNIX;
  strcpy(address.sun_path, path);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Copies what one side has to the other; returns 0 at end of stream or on error. */
static int pump(int from, int to) {
  char buffer[65536];
  ssize_t got = read(from, buffer, sizeof buffer);
  if (got <= 0) return 0;
  for (ssize_t sent = 0; sent < got;) {
    ssize_t wrote = write(to, buffer + sent, (size_t)(got - sent));
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    sent += wrote;
  }
  return 1;
}

/* Relays both directions until both are done; a side that ends is half-closed on the other. */
static void relay(int client, int proxy) {
  struct pollfd fds[2] = {{client, POLLIN, 0}, {proxy, POLLIN, 0}};
  int open_directions = 2;
  while (open_directions > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int side = 0; side < 2; side++) {
      if (fds[side].fd < 0 || !(fds[side].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      int other = side == 0 ? proxy : client;
      if (!pump(fds[side].fd, other)) {
        shutdown(other, SHUT_WR);
        fds[side].fd = -1;
        open_directions--;
      }
    }
  }
}

static void serve(struct listener *listeners, int count) {
  /* Children are reaped by the kernel: no zombies count against the sandbox's pids limit. */
  signal(SIGCHLD, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  struct pollfd fds[MAX_LISTENERS];
  for (int i = 0; i < count; i++) fds[i] = (struct pollfd){listeners[i].fd, POLLIN, 0};
  for (;;) {
    if (poll(fds, (nfds_t)count, -1) < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (int i = 0; i < count; i++) {
      if (!(fds[i].revents & POLLIN)) continue;
      int client = accept4(listeners[i].fd, NULL, NULL, SOCK_CLOEXEC);
      if (client < 0) continue;
      /* A relay passes on what it has at once: with Nagle, a reply written in two pieces by the proxy
       * (headers, then body) would wait for the tool's delayed ACK, some 40 ms per request. */
      int one = 1;
      setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      pid_t child = fork();
      if (child == 0) {
        for (int j = 0; j < count; j++) close(listeners[j].fd);
        int proxy = connect_unix(listeners[i].socket_path);
        if (proxy >= 0) relay(client, proxy);
        _exit(0);
      }
      /* A refused fork (the pids limit) drops this connection; the tool sees it closed. */
      close(client);
    }
  }
}

int main(int argc, char **argv) {
  struct listener listeners[MAX_LISTENERS];
  int count = 0;
  int command = -1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      command = i + 1;
      break;
    }
    char *equals = strchr(argv[i], '=');
    int port = equals ? atoi(argv[i]) : 0;
    if (!equals || port <= 0 || port > 65535 || count == MAX_LISTENERS) {
      fprintf(stderr, "egress-forwarder: expected PORT=SOCKET, got %s\n", argv[i]);
      return 2;
    }
    int fd = listen_on(port);
    if (fd < 0) {
      /* Without loopback there is nothing to serve; the command still runs, without egress. */
      fprintf(stderr, "egress-forwarder: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
      continue;
    }
    listeners[count++] = (struct listener){fd, equals + 1};
  }
  if (command < 0 || command >= argc) {
    if (count == 0) return 1;
    serve(listeners, count);
    return 0;
  }
  if (count > 0) {
    pid_t child = fork();
    if (child == 0) {
      setsid();
      serve(listeners, count);
      _exit(0);
    }
    for (int i = 0; i < count; i++) close(listeners[i].fd);
  }
  execv(argv[command], argv + command);
  fprintf(stderr, "egress-forwarder: cannot run %s: %s\n", argv[command], strerror(errno));
  return 127;
}
