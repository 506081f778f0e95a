#include "io/endpoint.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "io/errors.hpp"
#include "sched/to_thread.hpp"

namespace weft {

namespace {

constexpr std::size_t kSunPath = sizeof(sockaddr_un::sun_path);
constexpr std::size_t kSunOffset = offsetof(sockaddr_un, sun_path);

// `text` for a message: NUL and other control bytes spelled out ("\0", "\x1b"),
// so that a message shows what was refused instead of stopping at a NUL.
std::string printable(std::string_view text) {
  std::string s;
  s.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u == 0) {
      s += "\\0";
    } else if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      s += "\\x";
      s += kHex[u >> 4];
      s += kHex[u & 0xf];
    } else {
      s += c;
    }
  }
  return s;
}

bool has_nul(std::string_view s) noexcept { return s.find('\0') != std::string_view::npos; }

// The interface index a scope names ("2" or "eth0"); 0 with `why` set when none.
std::uint32_t scope_index(std::string_view scope, std::string& why) {
  if (scope.empty()) {
    why = "an empty scope after '%' (write an interface name or index, as in fe80::1%eth0)";
    return 0;
  }
  if (scope.find_first_not_of("0123456789") == std::string_view::npos) {
    std::uint64_t v = 0;
    for (const char c : scope) {
      v = v * 10 + static_cast<unsigned>(c - '0');
      if (v > UINT32_MAX) break;
    }
    if (v == 0 || v > UINT32_MAX) {
      why = "'" + std::string(scope) + "' is not an interface index (1 to " +
            std::to_string(UINT32_MAX) + ")";
      return 0;
    }
    return static_cast<std::uint32_t>(v);
  }
  const unsigned index =
      scope.size() < IF_NAMESIZE ? ::if_nametoindex(std::string(scope).c_str()) : 0;
  if (index == 0) why = "there is no network interface named '" + std::string(scope) + "'";
  return index;
}

// Parses a numeric IPv4 or IPv6 address (IPv6 with an optional %scope) into
// `out`. Returns why it is not one (empty on success).
std::string parse_numeric(std::string_view address, std::uint16_t port, sockaddr_storage& out,
                          socklen_t& len, Endpoint::Family& family) {
  if (has_nul(address)) return "the address '" + printable(address) + "' contains a NUL byte";
  const std::string_view::size_type pct = address.find('%');
  const std::string a(address.substr(0, pct));
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (pct == std::string_view::npos && ::inet_pton(AF_INET, a.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
    family = Endpoint::Family::ipv4;
    return {};
  }
  std::memset(&out, 0, sizeof out);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (::inet_pton(AF_INET6, a.c_str(), &v6->sin6_addr) == 1) {
    if (pct != std::string_view::npos) {
      std::string why;
      v6->sin6_scope_id = scope_index(address.substr(pct + 1), why);
      if (!why.empty()) return "bad scope in '" + std::string(address) + "': " + why;
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
    family = Endpoint::Family::ipv6;
    return {};
  }
  std::memset(&out, 0, sizeof out);
  if (pct != std::string_view::npos) {
    return "'" + std::string(address) + "' is not a numeric IPv6 address with a scope";
  }
  return "'" + std::string(address) +
         "' is not a numeric IPv4 or IPv6 address (use Endpoint::resolve for host names)";
}

// A Unix address's name: a path, or an abstract name (its leading NUL not included).
struct UnixName {
  bool abstract = false;
  std::string_view name;
};

UnixName unix_name(const sockaddr_storage& storage, socklen_t len) noexcept {
  const auto* un = reinterpret_cast<const sockaddr_un*>(&storage);
  const std::size_t n = static_cast<std::size_t>(len) > kSunOffset
                            ? std::min(static_cast<std::size_t>(len) - kSunOffset, kSunPath)
                            : 0;
  if (n == 0) return {};  // unnamed
  if (un->sun_path[0] == '\0') return {true, std::string_view(un->sun_path + 1, n - 1)};
  return {false, std::string_view(un->sun_path, ::strnlen(un->sun_path, n))};
}

}  // namespace

Endpoint::Endpoint() noexcept { std::memset(&storage_, 0, sizeof storage_); }

Endpoint Endpoint::ip(std::string_view address, std::uint16_t port) {
  Endpoint e;
  const std::string why = parse_numeric(address, port, e.storage_, e.len_, e.family_);
  if (!why.empty()) throw std::invalid_argument("weft: " + why);
  return e;
}

Endpoint Endpoint::unix_path(std::string_view path) {
  Endpoint e;
  auto* un = reinterpret_cast<sockaddr_un*>(&e.storage_);
  if (path.empty()) throw std::invalid_argument("weft: an empty Unix socket path");
  un->sun_family = AF_UNIX;
  e.family_ = Family::unix_path;
  if (path.front() == '@') {  // abstract: sun_path is a NUL, then the name, and nothing ends it
    const std::string_view name = path.substr(1);
    if (name.empty()) {
      throw std::invalid_argument("weft: an empty abstract Unix name (write a name after '@')");
    }
    if (name.size() > kSunPath - 1) {
      throw std::invalid_argument("weft: the abstract Unix name '" + printable(name) + "' is " +
                                  std::to_string(name.size()) + " bytes long; the limit is " +
                                  std::to_string(kSunPath - 1));
    }
    std::memcpy(un->sun_path + 1, name.data(), name.size());
    e.len_ = static_cast<socklen_t>(kSunOffset + 1 + name.size());
    return e;
  }
  if (has_nul(path)) {
    throw std::invalid_argument("weft: the Unix socket path '" + printable(path) +
                                "' contains a NUL byte (an abstract name is written '@name')");
  }
  if (path.size() >= kSunPath) {
    throw std::invalid_argument("weft: the Unix socket path '" + std::string(path) + "' is " +
                                std::to_string(path.size()) + " bytes long; the limit is " +
                                std::to_string(kSunPath - 1));
  }
  std::memcpy(un->sun_path, path.data(), path.size());
  e.len_ = static_cast<socklen_t>(kSunOffset + path.size() + 1);
  return e;
}

Endpoint Endpoint::parse(std::string_view text) {
  auto bad = [text](const std::string& why) {
    return std::invalid_argument("weft: cannot parse endpoint '" + printable(text) + "': " + why);
  };
  if (text.substr(0, 5) == "unix:") {
    try {
      return unix_path(text.substr(5));
    } catch (const std::invalid_argument& e) {
      throw bad(std::string(e.what()).substr(6));  // without its "weft: "
    }
  }
  if (has_nul(text)) throw bad("it contains a NUL byte");
  std::string_view host;
  std::string_view port;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (bracketed) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw bad("expected [ipv6]:port");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      throw bad("expected host:port, [ipv6]:port, unix:/path or unix:@name");
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
  const std::string why = parse_numeric(host, static_cast<std::uint16_t>(p), e.storage_, e.len_,
                                        e.family_);
  if (!why.empty()) throw bad(why);
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

// getaddrinfo would stop at a NUL and resolve another name than the one given.
void refuse_nul(std::string_view host) {
  if (has_nul(host)) {
    throw ResolveError("weft: cannot resolve host '" + printable(host) +
                       "': it contains a NUL byte");
  }
}

}  // namespace

std::vector<Endpoint> Endpoint::resolve(std::string_view host, std::uint16_t port, Timeout t) {
  Endpoint numeric;
  if (parse_numeric(host, port, numeric.storage_, numeric.len_, numeric.family_).empty()) {
    return {numeric};
  }
  refuse_nul(host);
  std::string name(host);
  return endpoints_of(to_thread([name, port] { return lookup(name, port); }, t), name);
}

std::vector<Endpoint> Endpoint::resolve(std::string_view host, std::uint16_t port,
                                        const Deadline& d, std::string_view what) {
  Endpoint numeric;
  if (parse_numeric(host, port, numeric.storage_, numeric.len_, numeric.family_).empty()) {
    return {numeric};
  }
  refuse_nul(host);
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
    case Family::ipv6: {
      const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&storage_);
      ::inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
      std::string s = buf;
      if (v6->sin6_scope_id != 0) s.append("%").append(std::to_string(v6->sin6_scope_id));
      return s;
    }
    case Family::unix_path: {
      const UnixName n = unix_name(storage_, len_);
      return n.abstract ? std::string("@").append(n.name) : std::string(n.name);
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
      const UnixName x = unix_name(a.storage_, a.len_);
      const UnixName y = unix_name(b.storage_, b.len_);
      return x.abstract == y.abstract && x.name == y.name;
    }
    case Endpoint::Family::none:
      break;
  }
  return true;
}

}  // namespace weft
