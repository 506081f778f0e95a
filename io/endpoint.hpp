#pragma once
// Endpoint: the address of a stream socket, IPv4, IPv6 or a Unix path.
//
// Text forms (parse() reads them, to_string() writes them, and
// parse(e.to_string()) == e for every endpoint parse() accepts):
//   127.0.0.1:80          IPv4 and a port
//   [::1]:80              IPv6 in brackets
//   [fe80::1%2]:80        IPv6 with a scope: an interface index, or a name
//                         ("%eth0") that parse() turns into its index
//   unix:/run/app.sock    a Unix path (relative ones too; one starting with
//                         '@' must be written "./@name")
//   unix:@app             a Linux abstract Unix name: '@' stands for the
//                         leading NUL byte. The name is taken byte for byte up
//                         to the end of the text, as the kernel does, so it is
//                         the one form where a NUL byte is allowed.
// A NUL byte anywhere else is refused: C functions would stop at it and use
// a different address than the text says.

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "weft/sched/timeout.hpp"

namespace weft {

class Deadline;

// A socket address (a value: copyable, comparable). Building one never
// resolves a name; resolve() does, off the loop.
class Endpoint {
 public:
  enum class Family : std::uint8_t { none, ipv4, ipv6, unix_path };

  // The empty endpoint (family() == none).
  Endpoint() noexcept;
  // A numeric IPv4 or IPv6 address ("127.0.0.1", "::1", "0.0.0.0", or
  // "fe80::1%eth0" with a scope) and a port (0: any free port, for
  // listening). Throws std::invalid_argument for anything else (a NUL byte,
  // an unknown interface); use resolve() for host names.
  static Endpoint ip(std::string_view address, std::uint16_t port);
  // A Unix stream socket path, or with a leading '@' a Linux abstract name
  // ("@app": the name "app" in the abstract namespace; may hold NUL bytes).
  // Throws std::invalid_argument when it is empty, holds a NUL byte (a path),
  // or is longer than the system allows (107 bytes, the '@' not counted).
  static Endpoint unix_path(std::string_view path);
  // Parses one of the text forms above (numeric hosts only). Throws
  // std::invalid_argument naming what is wrong.
  static Endpoint parse(std::string_view text);
  // Copies a system address (AF_INET, AF_INET6 or AF_UNIX). Throws
  // std::invalid_argument for other families or a bad length.
  static Endpoint from_sockaddr(const sockaddr* addr, socklen_t len);
  // Resolves `host` (a name or a numeric address) for TCP, in the resolver's
  // order. Names go through getaddrinfo on a worker thread (to_thread), so the
  // loop keeps running. Throws ResolveError (also for a host holding a NUL
  // byte), TimeoutError, TaskletExit. Must be called in a tasklet (numeric
  // addresses excepted).
  static std::vector<Endpoint> resolve(std::string_view host, std::uint16_t port,
                                       Timeout t = current);

  Family family() const noexcept { return family_; }
  bool empty() const noexcept { return family_ == Family::none; }
  // The port (0 for Unix paths and the empty endpoint).
  std::uint16_t port() const noexcept;
  // The numeric address ("127.0.0.1", "::1", "fe80::1%2"), the Unix path, or
  // "@name" for an abstract one ("" for an unnamed Unix socket).
  std::string address() const;
  // One of the text forms above, "unix:" for an unnamed Unix socket (the
  // client end of a connection; parse() refuses it), or "(none)".
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
