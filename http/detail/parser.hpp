#pragma once
// Parser: the seam to the HTTP/1.x parsing library (http-parser 2.9, from
// Debian's libhttp-parser-dev; http/README.md says why this one). Only
// parser.cpp includes <http_parser.h>; nothing of it shows here.
//
// Incremental: feed() takes what arrived and stops after the first event
// (a head is complete, a message has ended, or an error), saying how many
// bytes it used; the caller feeds the rest again. Body bytes found on the way
// are left in body_segments(), pointing into the data fed: the caller keeps
// that data unchanged until it has taken them.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/http/detail/head.hpp"

namespace weft::http::detail {

struct ParserLimits {
  std::size_t max_header_bytes = 16 * 1024;  // start line + header fields
  std::size_t max_headers = 100;
};

class Parser {
 public:
  enum class Kind { request, response };
  enum class Event {
    more,   // everything given was used; nothing complete yet
    head,   // head() is complete (a message's body, if any, follows)
    end,    // the message ended (its last body bytes are in body_segments())
    error,  // malformed or over a limit: error_status() and error(); the parser stays failed
  };
  struct Step {
    Event event;
    std::size_t used;  // bytes of the data given that were consumed
  };

  Parser(Kind kind, ParserLimits limits);
  ~Parser();
  Parser(const Parser&) = delete;
  Parser& operator=(const Parser&) = delete;

  // Parses from data (n may be 0 only through finish()).
  Step feed(const char* data, std::size_t n);
  // The peer closed: ends a response delimited by the close; an error when a
  // message is incomplete; `more` between messages.
  Step finish();

  // The head of the message being parsed (valid from its `head` event until
  // the next message begins).
  Head& head() noexcept;
  // Body bytes met by the last feed(), in order (cleared by each feed()).
  const std::vector<std::string_view>& body_segments() const noexcept;
  // 400 (malformed) or 431 (header limits) after an error event.
  int error_status() const noexcept;
  const std::string& error() const noexcept;
  // True between the first byte of a message and its end.
  bool in_message() const noexcept;
  // True while the head of a message is incomplete (bytes of it have come).
  bool in_head() const noexcept;
  // Responses: the next response answers a HEAD request (it has no body
  // whatever its headers say).
  void expect_no_body() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::http::detail
