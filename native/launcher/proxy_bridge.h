// The proxy bridge: inside the sandbox's network namespace (loopback only), 127.0.0.1:PORT relays
// each connection to the filtering proxy's unix socket. The forwarder runs OUTSIDE the sandbox: the
// outer launcher forks it once bwrap reports its namespace init, and it joins only the sandbox's
// user and network namespaces (setns(2)), staying in the host's pid and mount namespaces. Nothing
// inside the sandbox needs a unix socket, so bwrap, its init and the command all run under the
// proxy-routed seccomp filter (inet sockets only), and the proxy's socket is never bound in.
#ifndef CODEX_SANDBOX_LAUNCHER_PROXY_BRIDGE_H
#define CODEX_SANDBOX_LAUNCHER_PROXY_BRIDGE_H

#include <sys/types.h>

#include <string>

// Outer stage, before bwrap starts: opens the proxy's socket at `socket_path` as O_PATH without
// following a symlink and checks it is the socket the plan recorded (dev/ino). Exits 125 otherwise.
int open_proxy_socket(const char* socket_path, unsigned long long dev, unsigned long long ino);

// Outer stage, once bwrap reported its namespace init `init_pid` (checked to be bwrap_pid's child):
// forks the forwarder, which joins the init's user and network namespaces, listens on
// 127.0.0.1:port there and connects each client through `socket_fd` (never a path). Returns the
// forwarder's pid once it listens, or -1 with *error naming the failed step.
pid_t start_proxy_forwarder(pid_t init_pid, pid_t bwrap_pid, int port, int socket_fd, std::string* error);

// Inner stage: waits until something listens on 127.0.0.1:port in this network namespace (the
// forwarder), so the command never starts before its proxy is reachable. Exits 125 after a timeout.
void wait_for_proxy_listener(int port);

#endif
