#pragma once
// What a parser learns from an HTTP message's head (request or response).

#include <cstdint>
#include <string>

#include "weft/http/headers.hpp"

namespace weft::http::detail {

struct Head {
  std::string method;  // requests: "GET", ...
  std::string target;  // requests: "/index.html?x=1"
  int status = 0;      // responses: 200, ...
  std::string reason;  // responses: "OK"
  int major = 1;
  int minor = 1;
  Headers headers;
  bool keep_alive = true;       // the connection may carry another message after this one
  bool chunked = false;         // Transfer-Encoding: chunked
  bool has_length = false;      // Content-Length was given
  std::uint64_t content_length = 0;
  bool expect_continue = false;  // requests: Expect: 100-continue
  bool upgrade = false;          // Upgrade / CONNECT: what follows is not HTTP

  // The message has a body to read (a length above 0, chunked, or, for a
  // response, delimited by the end of the connection).
  bool has_body() const noexcept { return chunked || (has_length && content_length > 0); }
};

}  // namespace weft::http::detail
