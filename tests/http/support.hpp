#pragma once
// Helpers of the http tests: a server on a free loopback port, a raw client
// that writes bytes and reads responses as a client would, and commands run
// off the loop (curl, python).

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "http/headers.hpp"
#include "http/server.hpp"
#include "io/socket.hpp"
#include "io/stream.hpp"
#include "sched/to_thread.hpp"
#include "tests/support/weft_test.hpp"

namespace http_test {

inline const weft::Endpoint kAny = weft::Endpoint::ip("127.0.0.1", 0);

// One response as a client reads it.
struct Reply {
  int status = 0;
  std::string status_line;
  weft::http::Headers headers;
  std::string body;
  bool has(std::string_view name, std::string_view value) const {
    const auto v = headers.get(name);
    return v && weft::http::iequals(*v, value);
  }
};

// A raw connection: bytes out, responses in.
class Raw {
 public:
  explicit Raw(const weft::Endpoint& at)
      : socket_(std::make_unique<weft::Socket>(weft::Socket::connect(at, 2.0))),
        in_(std::make_unique<weft::BufferedStream>(*socket_)) {}
  void send(std::string_view bytes) { socket_->write_all(bytes, 2.0); }
  // Reads one response: by Content-Length, chunked, or (close_delimited) up to EOF.
  // A response to HEAD (head) or a 1xx/204/304 has no body.
  Reply read(bool head = false, weft::Timeout t = 5.0) {
    Reply r;
    r.status_line = in_->read_line(t);
    REQUIRE_MESSAGE(r.status_line.rfind("HTTP/1.", 0) == 0, "status line: " << r.status_line);
    r.status = std::stoi(r.status_line.substr(9, 3));
    for (;;) {
      const std::string h = in_->read_line(t);
      if (h.empty()) break;
      const auto colon = h.find(':');
      REQUIRE(colon != std::string::npos);
      std::size_t v = colon + 1;
      while (v < h.size() && h[v] == ' ') ++v;
      r.headers.add(h.substr(0, colon), h.substr(v));
    }
    if (head || r.status < 200 || r.status == 204 || r.status == 304) return r;
    if (const auto cl = r.headers.get("Content-Length")) {
      r.body = in_->read_bytes(std::stoul(std::string(*cl)), t);
    } else if (r.has("Transfer-Encoding", "chunked")) {
      for (;;) {
        const std::size_t n = std::stoul(in_->read_line(t), nullptr, 16);
        if (n == 0) {
          while (!in_->read_line(t).empty()) {
          }
          break;
        }
        r.body += in_->read_bytes(n, t);
        in_->read_line(t);
      }
    } else {
      r.body = rest(t);
    }
    return r;
  }
  // Everything up to EOF.
  std::string rest(weft::Timeout t = 5.0) {
    std::string s;
    char buf[4096];
    weft::DeadlineScope scope(t);
    while (std::size_t n = in_->read(buf)) s.append(buf, n);
    return s;
  }
  // True when the server closed the connection (EOF, nothing more).
  bool at_eof(weft::Timeout t = 5.0) { return rest(t).empty(); }
  weft::Socket& socket() { return *socket_; }

 private:
  std::unique_ptr<weft::Socket> socket_;
  std::unique_ptr<weft::BufferedStream> in_;
};

inline std::string get(std::string_view target, std::string_view extra = {},
                       std::string_view version = "HTTP/1.1") {
  return "GET " + std::string(target) + " " + std::string(version) + "\r\nHost: test\r\n" +
         std::string(extra) + "\r\n";
}

// Runs a shell command off the loop; its stdout (and stderr with 2>&1 in cmd).
inline std::string shell(const std::string& cmd, int* status = nullptr) {
  return weft::to_thread([cmd, status] {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    const int st = ::pclose(p);
    if (status != nullptr) *status = st;
    return out;
  });
}

inline bool have(const char* program) {
  return std::system((std::string("command -v ") + program + " >/dev/null 2>&1").c_str()) == 0;
}

}  // namespace http_test
