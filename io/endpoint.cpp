#include "io/endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <stdexcept>

#include "io/errors.hpp"
#include "sched/to_thread.hpp"

namespace weft {

namespace {

bool parse_numeric(std::string_view address, std::uint16_t port, sockaddr_storage& out,
                   socklen_t& len, Endpoint::Family& family) {
  std::string a(address);
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (::inet_pton(AF_INET, a.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    family = Endpoint::Family::ipv4;
    return true;
  }
  std::memset(&out, 0, sizeof out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (::inet_pton(AF_INET6, a.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    family = Endpoint::Family::ipv6;
    return true;
  }
  return false;
}

}  // namespace

Endpoint::Endpoint() noexcept { std::memset(&storage_, 0, sizeof storage_); }

Endpoint Endpoint::ip(std::string_view address, std::uint16_t port) {
  Endpoint e;
  if (!parse_numeric(address, port, e.storage_, e.len_, e.family_)) {
    throw std::invalid_argument("weft: '" + std::string(address) +
                                "' is not a numeric IPv4 or IPv6 address (use Endpoint::resolve "
                                "for host names)");
  }
  return e;
}

Endpoint Endpoint::unix_path(std::string_view path) {
  Endpoint e;
  auto* un = reinterpret_cast<sockaddr_un*>(&e.storage_);
  if (path.empty()) throw std::invalid_argument("weft: an empty Unix socket path");
  if (path.size() >= sizeof un->sun_path) {
    throw std::invalid_argument("weft: the Unix socket path '" + std::string(path) + "' is " +
                                std::to_string(path.size()) + " bytes long; the limit is " +
                                std::to_string(sizeof un->sun_path - 1));
  }
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  e.len_ = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  e.family_ = Family::unix_path;
  return e;
}

Endpoint Endpoint::parse(std::string_view text) {
  auto bad = [text](const std::string& why) {
    return std::invalid_argument("weft: cannot parse endpoint '" + std::string(text) + "': " + why);
  };
  if (text.substr(0, 5) == "unix:") {
    try {
      return unix_path(text.substr(5));
    } catch (const std::invalid_argument& e) {
      throw bad(std::string(e.what()).substr(6));  // without its "weft: "
    }
  }
  std::string_view host;
  std::string_view port;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument("weft: cannot parse endpoint '" + std::string(text) +
                                  "': expected [ipv6]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      throw std::invalid_argument("weft: cannot parse endpoint '" + std::string(text) +
                                  "': expected host:port, [ipv6]:port or unix:/path");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  unsigned long p = 0;
  bool ok = !port.empty() && port.size() <= 5;
  for (char c : port) {
    if (c < '0' || c > '9') ok = false;
    p = p * 10 + static_cast<unsigned long>(c - '0');
  }
  if (!ok || p > 65535) throw bad("'" + std::string(port) + "' is not a port number (0-65535)");
  if (!bracketed && host.find(':') != std::string_view::npos) {
    throw bad("an IPv6 address needs brackets, as in [" + std::string(host) + "]:" +
              std::string(port));
  }
  Endpoint e;
  if (!parse_numeric(host, static_cast<std::uint16_t>(p), e.storage_, e.len_, e.family_)) {
    throw bad("'" + std::string(host) +
              "' is not a numeric IPv4 or IPv6 address (use Endpoint::resolve for host names)");
  }
  if (bracketed && e.family_ != Family::ipv6) {
    throw bad("brackets are for IPv6 addresses; write an IPv4 address without them");
  }
  return e;
}

Endpoint Endpoint::from_sockaddr(const sockaddr* addr, socklen_t len) {
  Endpoint e;
  if (addr == nullptr || len <= 0 || static_cast<std::size_t>(len) > sizeof e.storage_) {
    throw std::invalid_argument("weft: Endpoint::from_sockaddr given a bad address length");
  }
  switch (addr->sa_family) {
    case AF_INET:
      e.family_ = Family::ipv4;
      break;
    case AF_INET6:
      e.family_ = Family::ipv6;
      break;
    case AF_UNIX:
      e.family_ = Family::unix_path;
      break;
    default:
      throw std::invalid_argument("weft: Endpoint::from_sockaddr given address family " +
                                  std::to_string(addr->sa_family) +
                                  " (only IPv4, IPv6 and Unix are supported)");
  }
  const std::size_t need = e.family_ == Family::ipv4   ? sizeof(sockaddr_in)
                          : e.family_ == Family::ipv6 ? sizeof(sockaddr_in6)
                                                      : sizeof(sa_family_t);
  if (static_cast<std::size_t>(len) < need) {
    throw std::invalid_argument("weft: Endpoint::from_sockaddr given a bad address length: " +
                                std::to_string(len) + " bytes for family " +
                                std::to_string(addr->sa_family) + " (at least " +
                                std::to_string(need) + " needed)");
  }
  std::memcpy(&e.storage_, addr, static_cast<std::size_t>(len));
  e.len_ = len;
  return e;
}

namespace {

// What getaddrinfo said: a status, and the IPv4 and IPv6 addresses.
struct Answer {
  int status = 0;
  std::vector<Endpoint> endpoints;
};

// Runs on a worker thread (getaddrinfo blocks).
Answer lookup(const std::string& name, std::uint16_t port) {
  Answer a;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  a.status = ::getaddrinfo(name.c_str(), service.c_str(), &hints, &list);
  if (a.status != 0) return a;
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    a.endpoints.push_back(Endpoint::from_sockaddr(ai->ai_addr, ai->ai_addrlen));
  }
  ::freeaddrinfo(list);
  return a;
}

// The answer's endpoints; throws ResolveError when there are none.
std::vector<Endpoint> endpoints_of(Answer answer, const std::string& name) {
  if (answer.status != 0) {
    throw ResolveError("weft: cannot resolve host '" + name + "': " +
                       ::gai_strerror(answer.status));
  }
  if (answer.endpoints.empty()) {
    throw ResolveError("weft: host '" + name + "' has no IPv4 or IPv6 address");
  }
  return std::move(answer.endpoints);
}

}  // namespace

std::vector<Endpoint> Endpoint::resolve(std::string_view host, std::uint16_t port, Timeout t) {
  Endpoint numeric;
  if (parse_numeric(host, port, numeric.storage_, numeric.len_, numeric.family_)) {
    return {numeric};
  }
  std::string name(host);
  return endpoints_of(to_thread([name, port] { return lookup(name, port); }, t), name);
}

std::vector<Endpoint> Endpoint::resolve(std::string_view host, std::uint16_t port,
                                        const Deadline& d, std::string_view what) {
  Endpoint numeric;
  if (parse_numeric(host, port, numeric.storage_, numeric.len_, numeric.family_)) {
    return {numeric};
  }
  std::string name(host);
  return endpoints_of(to_thread([name, port] { return lookup(name, port); }, d, what), name);
}

std::uint16_t Endpoint::port() const noexcept {
  switch (family_) {
    case Family::ipv4:
      return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
    case Family::ipv6:
      return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
    default:
      return 0;
  }
}

std::string Endpoint::address() const {
  char buf[INET6_ADDRSTRLEN] = {};
  switch (family_) {
    case Family::ipv4:
      ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf,
                  sizeof buf);
      return buf;
    case Family::ipv6:
      ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
                  sizeof buf);
      return buf;
    case Family::unix_path: {
      const auto* un = reinterpret_cast<const sockaddr_un*>(&storage_);
      const std::size_t max = len_ > offsetof(sockaddr_un, sun_path)
                                  ? static_cast<std::size_t>(len_) - offsetof(sockaddr_un, sun_path)
                                  : 0;
      return std::string(un->sun_path, ::strnlen(un->sun_path, max));
    }
    case Family::none:
      break;
  }
  return {};
}

std::string Endpoint::to_string() const {
  switch (family_) {
    case Family::ipv4:
      return address() + ":" + std::to_string(port());
    case Family::ipv6:
      return std::string("[").append(address()).append("]:").append(std::to_string(port()));
    case Family::unix_path:
      return std::string("unix:").append(address());
    case Family::none:
      break;
  }
  return "(none)";
}

int Endpoint::domain() const noexcept {
  switch (family_) {
    case Family::ipv4:
      return AF_INET;
    case Family::ipv6:
      return AF_INET6;
    case Family::unix_path:
      return AF_UNIX;
    case Family::none:
      break;
  }
  return AF_UNSPEC;
}

bool operator==(const Endpoint& a, const Endpoint& b) noexcept {
  if (a.family_ != b.family_) return false;
  switch (a.family_) {
    case Endpoint::Family::ipv4: {
      const auto* x = reinterpret_cast<const sockaddr_in*>(&a.storage_);
      const auto* y = reinterpret_cast<const sockaddr_in*>(&b.storage_);
      return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    case Endpoint::Family::ipv6: {
      const auto* x = reinterpret_cast<const sockaddr_in6*>(&a.storage_);
      const auto* y = reinterpret_cast<const sockaddr_in6*>(&b.storage_);
      return x->sin6_port == y->sin6_port &&
             std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0 &&
             x->sin6_scope_id == y->sin6_scope_id;
    }
    case Endpoint::Family::unix_path: {
      const auto* x = reinterpret_cast<const sockaddr_un*>(&a.storage_);
      const auto* y = reinterpret_cast<const sockaddr_un*>(&b.storage_);
      return std::strncmp(x->sun_path, y->sun_path, sizeof x->sun_path) == 0;
    }
    case Endpoint::Family::none:
      break;
  }
  return true;
}

}  // namespace weft
