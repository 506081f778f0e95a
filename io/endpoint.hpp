#pragma once
// Endpoint: the address of a stream socket, IPv4, IPv6 or a Unix path.

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sched/timeout.hpp"

namespace weft {

class Deadline;

// A socket address (a value: copyable, comparable). Building one never
// resolves a name; resolve() does, off the loop.
class Endpoint {
 public:
  enum class Family : std::uint8_t { none, ipv4, ipv6, unix_path };

  // The empty endpoint (family() == none).
  Endpoint() noexcept;
  // A numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "0.0.0.0") and a port
  // (0: any free port, for listening). Throws std::invalid_argument for
  // anything else; use resolve() for host names.
  static Endpoint ip(std::string_view address, std::uint16_t port);
  // A Unix stream socket path. Throws std::invalid_argument when it is empty
  // or longer than the system allows (about 107 bytes).
  static Endpoint unix_path(std::string_view path);
  // Parses "127.0.0.1:80", "[::1]:80" or "unix:/run/app.sock" (numeric hosts
  // only). Throws std::invalid_argument naming what is wrong.
  static Endpoint parse(std::string_view text);
  // Copies a system address (AF_INET, AF_INET6 or AF_UNIX). Throws
  // std::invalid_argument for other families or a bad length.
  static Endpoint from_sockaddr(const sockaddr* addr, socklen_t len);
  // Resolves `host` (a name or a numeric address) for TCP, in the resolver's
  // order. Names go through getaddrinfo on a worker thread (to_thread), so the
  // loop keeps running. Throws ResolveError, TimeoutError, TaskletExit. Must be
  // called in a tasklet (numeric addresses excepted).
  static std::vector<Endpoint> resolve(std::string_view host, std::uint16_t port,
                                       Timeout t = current);

  Family family() const noexcept { return family_; }
  bool empty() const noexcept { return family_ == Family::none; }
  // The port (0 for Unix paths and the empty endpoint).
  std::uint16_t port() const noexcept;
  // The numeric address ("127.0.0.1", "::1") or the path.
  std::string address() const;
  // "127.0.0.1:80", "[::1]:80", "unix:/path", or "(none)".
  std::string to_string() const;
  // The system form, for bind/connect.
  const sockaddr* data() const noexcept { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const noexcept { return len_; }
  // The socket() domain: AF_INET, AF_INET6 or AF_UNIX (AF_UNSPEC when empty).
  int domain() const noexcept;

  friend bool operator==(const Endpoint& a, const Endpoint& b) noexcept;

 private:
  friend class Socket;
  // resolve() under a deadline the caller holds (Socket::connect shares one
  // across its steps); a timeout is worded "<what> timed out ...".
  static std::vector<Endpoint> resolve(std::string_view host, std::uint16_t port,
                                       const Deadline& d, std::string_view what);

  sockaddr_storage storage_;
  socklen_t len_ = 0;
  Family family_ = Family::none;
};

}  // namespace weft
