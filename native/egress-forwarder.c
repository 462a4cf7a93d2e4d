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
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

/*
 * One process relays every connection from one event loop: no process per connection, so the sandbox's
 * pids limit (which a fork bomb inside may exhaust) never costs it its egress, and a connection costs
 * no fork. Each direction has a buffer; a side is read only when its buffer is empty and written only
 * when the other side's buffer has bytes, so a slow reader holds back its writer (no unbounded memory).
 */
#define BUFFER_SIZE 65536
#define MAX_EVENTS 64

struct direction {
  char buffer[BUFFER_SIZE];
  size_t start, end;
  int eof;  /* the side it reads from has ended */
  int done; /* ended and flushed: the side it writes to was shut for writing */
};

struct connection;

/* What an epoll event points at: a listener (connection NULL) or one side of a connection. */
struct endpoint {
  struct connection *connection;
  int side; /* 0: the tool's TCP socket, 1: the proxy's unix socket; for a listener, its index */
};

struct connection {
  int fds[2];
  unsigned registered[2]; /* the events each fd is registered for; 0 when it is not */
  struct endpoint endpoints[2];
  struct direction directions[2]; /* directions[s] carries what side s sends to the other side */
  /* Closed during this round of events; freed after it, since later events may still point here. */
  int closed;
  struct connection *next_closed;
};

static int epoll_fd;
static struct listener *all_listeners;
static struct endpoint listener_endpoints[MAX_LISTENERS];
static int listener_count;
static int listeners_paused;
static struct connection *closed_connections;

static void set_listeners(int op) {
  for (int i = 0; i < listener_count; i++) {
    struct epoll_event event = {.events = EPOLLIN, .data.ptr = &listener_endpoints[i]};
    epoll_ctl(epoll_fd, op, all_listeners[i].fd, &event);
  }
}

static void close_connection(struct connection *connection) {
  for (int side = 0; side < 2; side++) close(connection->fds[side]); /* closing leaves the epoll set */
  connection->closed = 1;
  connection->next_closed = closed_connections;
  closed_connections = connection;
  /* Descriptors are free again: accept where we stopped for want of them. */
  if (listeners_paused) {
    listeners_paused = 0;
    set_listeners(EPOLL_CTL_ADD);
  }
}

/* Registers each side for what it is waiting for now; a side waiting for nothing is left out, so a
 * hung-up peer we have nothing for cannot wake the loop again and again. */
static void update_interest(struct connection *connection) {
  for (int side = 0; side < 2; side++) {
    struct direction *from = &connection->directions[side];
    struct direction *to = &connection->directions[1 - side];
    unsigned wanted = 0;
    if (!from->eof && from->start == from->end) wanted |= EPOLLIN;
    if (to->start < to->end) wanted |= EPOLLOUT;
    if (wanted == connection->registered[side]) continue;
    struct epoll_event event = {.events = wanted, .data.ptr = &connection->endpoints[side]};
    int op = wanted == 0 ? EPOLL_CTL_DEL : connection->registered[side] == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
    epoll_ctl(epoll_fd, op, connection->fds[side], &event);
    connection->registered[side] = wanted;
  }
}

/* Writes what direction `side` holds to the other side; -1 when that side is gone. */
static int flush(struct connection *connection, int side) {
  struct direction *direction = &connection->directions[side];
  int to = connection->fds[1 - side];
  while (direction->start < direction->end) {
    ssize_t wrote = write(to, direction->buffer + direction->start, direction->end - direction->start);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      return -1;
    }
    direction->start += (size_t)wrote;
  }
  direction->start = direction->end = 0;
  if (direction->eof && !direction->done) {
    shutdown(to, SHUT_WR);
    direction->done = 1;
  }
  return 0;
}

/* Reads what side `side` has into its (empty) buffer and passes it on; -1 when the connection broke. */
static int receive(struct connection *connection, int side) {
  struct direction *direction = &connection->directions[side];
  ssize_t got;
  do got = read(connection->fds[side], direction->buffer, BUFFER_SIZE);
  while (got < 0 && errno == EINTR);
  if (got < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
  if (got == 0) direction->eof = 1;
  else direction->end = (size_t)got;
  return flush(connection, side);
}

static void on_connection_event(struct connection *connection, int side, unsigned events) {
  int broken = 0;
  if (events & EPOLLOUT) broken |= flush(connection, 1 - side) < 0;
  if (!broken && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !connection->directions[side].eof &&
      connection->directions[side].start == connection->directions[side].end)
    broken |= receive(connection, side) < 0;
  /* A side that hung up while only being written to can take nothing more. */
  if (!broken && (events & (EPOLLHUP | EPOLLERR)) && connection->directions[side].eof &&
      connection->directions[1 - side].start < connection->directions[1 - side].end)
    broken = 1;
  if (broken || (connection->directions[0].done && connection->directions[1].done)) {
    close_connection(connection);
    return;
  }
  update_interest(connection);
}

static void accept_from(int index) {
  for (;;) {
    int client = accept4(all_listeners[index].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        /* Out of descriptors or memory: stop listening until a connection closes, rather than spin. */
        set_listeners(EPOLL_CTL_DEL);
        listeners_paused = 1;
      }
      return;
    }
    /* A relay passes on what it has at once: with Nagle, a reply written in two pieces by the proxy
     * (headers, then body) would wait for the tool's delayed ACK, some 40 ms per request. */
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* The proxy accepts at once (Node's listen backlog), so connecting blocks for no time worth a
     * state of its own; a proxy that is gone refuses at once and the tool sees its connection closed. */
    int proxy = connect_unix(all_listeners[index].socket_path);
    struct connection *connection = proxy < 0 ? NULL : calloc(1, sizeof *connection);
    if (connection == NULL) {
      if (proxy >= 0) close(proxy);
      close(client);
      continue;
    }
    fcntl(proxy, F_SETFL, fcntl(proxy, F_GETFL) | O_NONBLOCK);
    connection->fds[0] = client;
    connection->fds[1] = proxy;
    for (int side = 0; side < 2; side++) connection->endpoints[side] = (struct endpoint){connection, side};
    update_interest(connection);
  }
}

static void serve(struct listener *listeners, int count) {
  signal(SIGPIPE, SIG_IGN);
  epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) _exit(1);
  all_listeners = listeners;
  listener_count = count;
  for (int i = 0; i < count; i++) {
    fcntl(listeners[i].fd, F_SETFL, fcntl(listeners[i].fd, F_GETFL) | O_NONBLOCK);
    listener_endpoints[i] = (struct endpoint){NULL, i};
  }
  set_listeners(EPOLL_CTL_ADD);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int ready = epoll_wait(epoll_fd, events, MAX_EVENTS, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      _exit(1);
    }
    for (int i = 0; i < ready; i++) {
      struct endpoint *endpoint = events[i].data.ptr;
      if (endpoint->connection == NULL) accept_from(endpoint->side);
      else if (!endpoint->connection->closed)
        on_connection_event(endpoint->connection, endpoint->side, events[i].events);
    }
    while (closed_connections != NULL) {
      struct connection *next = closed_connections->next_closed;
      free(closed_connections);
      closed_connections = next;
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
