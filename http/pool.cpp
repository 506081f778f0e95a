#include "http/pool.hpp"

#include <charconv>
#include <optional>
#include <stdexcept>
#include <utility>

#include "http/errors.hpp"

namespace weft::http {

Url Url::parse(std::string_view url) {
  Url u;
  std::string_view rest;
  if (url.substr(0, 7) == "http://") {
    rest = url.substr(7);
  } else if (url.substr(0, 8) == "https://") {
    rest = url.substr(8);
    u.https = true;
    u.port = 443;
  } else {
    throw std::invalid_argument("weft: http URL '" + std::string(url) +
                                "' does not start with http:// or https://");
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      throw std::invalid_argument("weft: http URL '" + std::string(url) + "': no ']' after an IPv6 host");
    }
    u.host = std::string(authority.substr(1, close - 1));
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() == ':') port = authority.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) throw std::invalid_argument("weft: http URL '" + std::string(url) + "' has no host");
  if (!port.empty()) {
    unsigned v = 0;
    const auto r = std::from_chars(port.data(), port.data() + port.size(), v);
    if (r.ec != std::errc() || r.ptr != port.data() + port.size() || v == 0 || v > 65535) {
      throw std::invalid_argument("weft: http URL '" + std::string(url) + "' has a bad port");
    }
    u.port = static_cast<std::uint16_t>(v);
  }
  return u;
}

Pool::Pool(ClientOptions options, std::size_t max_idle_per_host)
    : options_(options), max_idle_(max_idle_per_host) {}

std::size_t Pool::idle() const noexcept {
  std::size_t n = 0;
  for (const auto& [key, conns] : idle_) n += conns.size();
  return n;
}

ClientResponse Pool::post(std::string_view url, std::string_view body, std::string_view content_type,
                          Timeout t) {
  Headers h;
  h.set("Content-Type", content_type);
  return request("POST", url, h, body, t);
}

ClientResponse Pool::once(std::string_view method, const Url& url, const Headers& headers,
                          std::string_view body, Timeout t) {
  const std::string key =
      (url.https ? "https://" : "http://") + url.host + ":" + std::to_string(url.port);
  const bool retry_ok = method == "GET" || method == "HEAD";
  for (;;) {
    std::vector<Connection>& free = idle_[key];
    bool reused = false;
    Connection c = [&] {
      while (!free.empty()) {
        Connection k = std::move(free.back());
        free.pop_back();
        if (k.is_open()) {
          reused = true;
          return k;
        }
      }
      ++opened_;
      return url.https ? Connection::connect_https(url.host, url.port, options_)
                       : Connection::connect(url.host, url.port, options_);
    }();
    try {
      ClientResponse r = c.request(method, url.target, headers, body, t);
      if (c.is_open() && idle_[key].size() < max_idle_) idle_[key].push_back(std::move(c));
      return r;
    } catch (const EofError&) {
      if (!(reused && retry_ok)) throw;  // the server had closed the idle connection: once more
    } catch (const ConnectionResetError&) {
      if (!(reused && retry_ok)) throw;
    }
  }
}

ClientResponse Pool::request(std::string_view method, std::string_view url, const Headers& headers,
                             std::string_view body, Timeout t) {
  std::optional<DeadlineScope> scope;
  if (!t.is_current()) scope.emplace(t);
  Url u = Url::parse(url);
  std::string m(method);
  std::string b(body);
  for (int hop = 0;; ++hop) {
    ClientResponse r = once(m, u, headers, b, current);
    const bool redirect = r.status == 301 || r.status == 302 || r.status == 303 ||
                          r.status == 307 || r.status == 308;
    const auto location = r.headers.get("Location");
    if (!redirect || !location || hop >= options_.max_redirects) return r;
    if (!location->empty() && location->front() == '/') {
      u.target = std::string(*location);
    } else {
      u = Url::parse(*location);
    }
    if (r.status == 303 || ((r.status == 301 || r.status == 302) && m == "POST")) {
      m = "GET";
      b.clear();
    }
  }
}

}  // namespace weft::http
