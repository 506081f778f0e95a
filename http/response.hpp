#pragma once
// Response: how a server handler answers: a status, headers, and a body sent
// whole (send) or streamed (write ... end).
//
//   res.set_header("Content-Type", "text/plain");
//   res.send("hello\n");                      // Content-Length: 6
//
//   res.set_status(200);
//   for (auto& part : parts) res.write(part);  // chunked (HTTP/1.1)
//   res.end();
//
// Responses of one connection leave in request order, whatever order their
// handlers finish in: a handler whose turn has not come has its bytes
// buffered (up to 64 KiB, then its writes wait for its turn). A HEAD request
// gets the head only (Content-Length kept). Connection headers are the
// server's: "close" when the connection ends after this response,
// "keep-alive" for an HTTP/1.0 client that asked to keep it.

#include "weft/sched/config.hpp"

#include <cstdint>
#include <string>
#include <string_view>

#include "weft/http/headers.hpp"
#include "weft/sched/timeout.hpp"

namespace weft::http {

namespace detail {
struct Exchange;
class ConnectionCore;
}  // namespace detail

// The standard reason phrase of a status ("Not Found"), "" when unknown.
std::string_view reason_phrase(int status) noexcept;

class Response {
 public:
  Response(const Response&) = delete;
  Response& operator=(const Response&) = delete;

  // The status (default 200) and its reason phrase (default: the standard
  // one). Throws std::logic_error once the response has started,
  // std::invalid_argument outside 100..999.
  void set_status(int status, std::string_view reason = {});
  int status() const noexcept { return status_; }
  // Header fields to send (before the response starts). Content-Length set
  // here makes write() send the body as is (its size must match); otherwise
  // the server sets it (send) or streams chunked (write). Connection and
  // Transfer-Encoding are the server's to set ("Connection: close" set here
  // closes the connection after this response).
  Headers& headers() noexcept { return headers_; }
  void set_header(std::string_view name, std::string_view value) { headers_.set(name, value); }

  // Sends the whole response with `body` (Content-Length: its size) and ends
  // it. Throws std::logic_error when the response has started, IoError when
  // the connection is gone (reset, closed, or closing before this response),
  // TimeoutError past ServerOptions::write_timeout or `t`.
  void send(std::string_view body, Timeout t = current);
  void send(int status, std::string_view body, Timeout t = current) {
    set_status(status);
    send(body, t);
  }
  // Sends body bytes, starting the response (its head) at the first call:
  // chunked to an HTTP/1.1 client without a Content-Length, delimited by the
  // connection's close to an HTTP/1.0 one. Throws as send(), and
  // std::logic_error past a Content-Length set or after end().
  void write(std::string_view data, Timeout t = current);
  // Ends a streamed response (the last chunk). The server ends a response
  // its handler did not end: a handler that sent nothing answers 200 with an
  // empty body (204 and 304 carry none anyway).
  void end(Timeout t = current);

  bool started() const noexcept { return started_; }
  bool finished() const noexcept { return finished_; }

 private:
  friend struct detail::Exchange;
  friend class detail::ConnectionCore;
  explicit Response(detail::Exchange& x) noexcept : x_(&x) {}
  enum class Framing : std::uint8_t { length, chunked, close };
  // Builds the head into `out` (framing decided from the body's length if known).
  void start(std::string& out, bool length_known, std::uint64_t length);
  bool body_allowed() const noexcept;

  detail::Exchange* x_;
  int status_ = 200;
  std::string reason_;
  Headers headers_;
  Framing framing_ = Framing::length;
  std::uint64_t left_ = 0;  // Framing::length: body bytes still to come
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace weft::http
