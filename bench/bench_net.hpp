// Socket helpers shared by the network benchmarks (echo, http).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace bench {

// A listening TCP socket on 127.0.0.1 and an ephemeral port (written to
// `addr`), with an accept queue of `backlog` (the kernel caps it at
// net.core.somaxconn). Exits with a message naming `who` when the kernel refuses.
inline int make_loopback_listener(sockaddr_in& addr, const char* who, int backlog = 1024) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, backlog) != 0) {
    std::fprintf(stderr, "bench %s: ", who);
    std::perror("listen");
    std::exit(1);
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return fd;
}

}  // namespace bench
