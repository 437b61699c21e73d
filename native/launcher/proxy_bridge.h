// The inner stage's proxy bridge: inside the sandbox's network namespace (loopback only), a small
// forwarder listens on 127.0.0.1:PORT and relays each connection to the filtering proxy's unix
// socket, which the plan bound into the sandbox. The command reaches the network only through it.
#ifndef CODEX_SANDBOX_LAUNCHER_PROXY_BRIDGE_H
#define CODEX_SANDBOX_LAUNCHER_PROXY_BRIDGE_H

// Opens the proxy's socket at `socket_path` without following a symlink and checks it is the socket
// the plan recorded (dev/ino); binds 127.0.0.1:port; then starts the forwarder as a grandchild
// (reparented to the sandbox's init, so the command never sees it as a child to wait for), which
// connects through that fd, never the path again. Exits 125 when a check fails.
void start_proxy_bridge(int port, const char* socket_path, unsigned long long dev, unsigned long long ino);

#endif
