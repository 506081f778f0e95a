#include "http/client.hpp"

#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

#include "http/detail/client_setup.hpp"
#include "http/detail/parser.hpp"
#include "http/errors.hpp"
#include "io/socket.hpp"

namespace weft::http {

namespace {

// A transport that owns its socket (what connect() makes).
class OwnedSocketTransport final : public Transport {
 public:
  explicit OwnedSocketTransport(Socket s) : socket_(std::move(s)), t_(socket_) {}
  std::size_t read(std::span<char> buf, Timeout t) override { return t_.read(buf, t); }
  void write_all(std::string_view data, Timeout t) override { t_.write_all(data, t); }
  void shutdown_write() noexcept override { t_.shutdown_write(); }
  void abort() noexcept override { t_.abort(); }
  std::string describe() const override { return t_.describe(); }

 private:
  Socket socket_;
  SocketTransport t_;
};

Timeout bounded(Timeout t, std::chrono::milliseconds bound) noexcept {
  if (bound.count() <= 0) return t;
  if (t.kind() == Timeout::Kind::after && t.duration() < bound) return t;
  return Timeout(bound);
}

}  // namespace

struct Connection::State {
  State(std::unique_ptr<Transport> t, std::string h, ClientOptions o)
      : transport(std::move(t)),
        host(std::move(h)),
        options(o),
        parser(detail::Parser::Kind::response,
               detail::ParserLimits{o.max_header_bytes, o.max_headers}),
        buf(new char[kBufferSize]) {}

  static constexpr std::size_t kBufferSize = 16 * 1024;
  std::unique_ptr<Transport> transport;
  std::string host;
  ClientOptions options;
  detail::Parser parser;
  std::unique_ptr<char[]> buf;
  std::size_t pos = 0;
  std::size_t end = 0;
  bool open = true;
  std::size_t requests = 0;

  [[noreturn]] void protocol_error(const std::string& why) {
    throw ProtocolError("weft: http response from " + transport->describe() + " is unusable: " + why);
  }

  ClientResponse read_response(bool head_request) {
    ClientResponse r;
    for (;;) {  // 1xx interim responses come before the final one
      if (head_request) parser.expect_no_body();
      bool have_head = false;
      for (;;) {
        detail::Parser::Step s{detail::Parser::Event::more, 0};
        if (pos < end) {
          s = parser.feed(buf.get() + pos, end - pos);
          pos += s.used;
        } else {
          const std::size_t n = transport->read({buf.get(), kBufferSize}, current);
          pos = 0;
          end = n;
          if (n > 0) continue;
          s = parser.finish();
          if (s.event == detail::Parser::Event::more) {
            throw EofError("weft: http request to " + transport->describe() +
                           " failed: the server closed the connection before its response");
          }
        }
        // Body bytes of this feed (they point into buf: taken before the next read).
        for (std::string_view b : parser.body_segments()) {
          if (r.body.size() + b.size() > options.max_body_bytes) {
            protocol_error("its body is longer than " + std::to_string(options.max_body_bytes) +
                           " bytes (ClientOptions::max_body_bytes)");
          }
          r.body.append(b);
        }
        if (s.event == detail::Parser::Event::error) {
          protocol_error(parser.error() + " (status " + std::to_string(parser.error_status()) +
                         " had it been a request)");
        }
        if (s.event == detail::Parser::Event::head) {
          have_head = true;
          const detail::Head& h = parser.head();
          if (h.has_length && h.content_length > options.max_body_bytes) {
            protocol_error("its body of " + std::to_string(h.content_length) +
                           " bytes is over ClientOptions::max_body_bytes");
          }
          if (h.has_length) r.body.reserve(h.content_length);
        }
        if (s.event == detail::Parser::Event::end && have_head) break;
      }
      detail::Head& h = parser.head();
      if (h.status >= 100 && h.status < 200 && h.status != 101) {
        r.body.clear();
        continue;
      }
      r.status = h.status;
      r.reason = std::move(h.reason);
      r.version = Version{h.major, h.minor};
      r.headers = std::move(h.headers);
      r.keep_alive = h.keep_alive && !h.upgrade;
      return r;
    }
  }
};

Connection::Connection(std::unique_ptr<State> s) noexcept : s_(std::move(s)) {}
Connection::Connection(std::unique_ptr<Transport> transport, std::string host, ClientOptions options)
    : s_(std::make_unique<State>(std::move(transport), std::move(host), options)) {
  if (!s_->transport) throw std::invalid_argument("weft: http Connection given no transport");
}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

namespace detail {

std::string host_header(std::string_view host, std::uint16_t port, std::uint16_t default_port) {
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";
  if (port != default_port) h += ":" + std::to_string(port);
  return h;
}

}  // namespace detail

Connection Connection::connect(std::string_view host, std::uint16_t port, ClientOptions options) {
  const Timeout t = options.connect_timeout.count() > 0 ? Timeout(options.connect_timeout) : never;
  Socket s = Socket::connect(host, port, t);
  return Connection(std::make_unique<OwnedSocketTransport>(std::move(s)),
                    detail::host_header(host, port, 80), options);
}

bool Connection::is_open() const noexcept { return s_ && s_->open; }
std::size_t Connection::requests() const noexcept { return s_ ? s_->requests : 0; }

void Connection::close() noexcept {
  if (!s_ || !s_->open) return;
  s_->open = false;
  s_->transport->abort();
}

ClientResponse Connection::post(std::string_view target, std::string_view body,
                                std::string_view content_type, Timeout t) {
  Headers h;
  h.set("Content-Type", content_type);
  return request("POST", target, h, body, t);
}

ClientResponse Connection::request(std::string_view method, std::string_view target,
                                   const Headers& headers, std::string_view body, Timeout t) {
  if (!is_open()) throw std::logic_error("weft: http request on a closed Connection");
  State& s = *s_;
  std::string out;
  out.reserve(128 + body.size());
  out.append(method).append(" ").append(target.empty() ? "/" : target).append(" HTTP/1.1\r\n");
  if (!headers.has("Host")) out.append("Host: ").append(s.host).append("\r\n");
  for (const auto& [name, value] : headers) out.append(name).append(": ").append(value).append("\r\n");
  if (!headers.has("Content-Length") && !headers.has("Transfer-Encoding") &&
      (!body.empty() || method == "POST" || method == "PUT")) {
    out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  out.append("\r\n").append(body);
  ++s.requests;
  try {
    DeadlineScope scope(bounded(t, s.options.timeout));
    s.transport->write_all(out, current);
    ClientResponse r = s.read_response(method == "HEAD");
    if (!r.keep_alive || headers.contains_token("Connection", "close")) close();
    return r;
  } catch (...) {
    close();
    throw;
  }
}

}  // namespace weft::http
