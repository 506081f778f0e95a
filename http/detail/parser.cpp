#include "http/detail/parser.hpp"

#include <http_parser.h>

#include <algorithm>

namespace weft::http::detail {

struct Parser::Impl {
  http_parser p;
  http_parser_settings s;
  ParserLimits limits;
  Kind kind;
  Head head;
  std::vector<std::string_view> segments;
  Event event = Event::more;  // what the callbacks saw during one execute
  bool in_message = false;
  bool in_head = false;
  bool in_trailers = false;  // header callbacks after the head are a chunked body's trailers
  bool last_was_value = false;
  bool skip_body = false;    // the response being parsed answers HEAD
  bool next_skips_body = false;
  std::size_t head_bytes = 0;  // bytes of the current head (and what preceded it) so far
  std::size_t header_count = 0;
  int error_status = 0;
  std::string error;

  static Impl& self(http_parser* p) { return *static_cast<Impl*>(p->data); }

  Impl(Kind k, ParserLimits l) : limits(l), kind(k) {
    http_parser_init(&p, k == Kind::request ? HTTP_REQUEST : HTTP_RESPONSE);
    p.data = this;
    http_parser_settings_init(&s);
    s.on_message_begin = [](http_parser* p) {
      Impl& m = self(p);
      m.in_message = m.in_head = true;
      m.in_trailers = m.last_was_value = false;
      m.header_count = 0;
      m.skip_body = m.next_skips_body;
      m.next_skips_body = false;
      Head& h = m.head;
      h.method.clear();
      h.target.clear();
      h.reason.clear();
      h.headers.clear();
      h.status = 0;
      return 0;
    };
    s.on_url = [](http_parser* p, const char* at, std::size_t n) {
      self(p).head.target.append(at, n);
      return 0;
    };
    s.on_status = [](http_parser* p, const char* at, std::size_t n) {
      self(p).head.reason.append(at, n);
      return 0;
    };
    s.on_header_field = [](http_parser* p, const char* at, std::size_t n) {
      Impl& m = self(p);
      if (m.in_trailers) return 0;  // trailers are not kept
      auto& fields = m.head.headers.fields();
      if (m.last_was_value || fields.empty()) {
        if (++m.header_count > m.limits.max_headers) {
          m.error_status = 431;
          m.error = "more than " + std::to_string(m.limits.max_headers) + " header fields";
          return 1;
        }
        fields.emplace_back();
      }
      fields.back().first.append(at, n);
      m.last_was_value = false;
      return 0;
    };
    s.on_header_value = [](http_parser* p, const char* at, std::size_t n) {
      Impl& m = self(p);
      if (m.in_trailers) return 0;
      m.head.headers.fields().back().second.append(at, n);
      m.last_was_value = true;
      return 0;
    };
    s.on_headers_complete = [](http_parser* p) {
      Impl& m = self(p);
      Head& h = m.head;
      if (m.kind == Kind::request) {
        h.method = http_method_str(static_cast<http_method>(p->method));
      } else {
        h.status = p->status_code;
      }
      h.major = p->http_major;
      h.minor = p->http_minor;
      h.keep_alive = http_should_keep_alive(p) != 0;
      h.chunked = (p->flags & F_CHUNKED) != 0;
      h.has_length = (p->flags & F_CONTENTLENGTH) != 0;
      h.content_length = h.has_length ? p->content_length : 0;
      h.upgrade = p->upgrade != 0;
      const auto expect = h.headers.get("Expect");
      h.expect_continue = expect && iequals(*expect, "100-continue");
      m.in_head = false;
      m.in_trailers = true;
      m.event = Event::head;
      http_parser_pause(p, 1);
      return m.skip_body ? 1 : 0;
    };
    s.on_body = [](http_parser* p, const char* at, std::size_t n) {
      self(p).segments.emplace_back(at, n);
      return 0;
    };
    s.on_message_complete = [](http_parser* p) {
      Impl& m = self(p);
      m.in_message = false;
      m.event = Event::end;
      http_parser_pause(p, 1);
      return 0;
    };
  }

  Step run(const char* data, std::size_t n) {
    if (error_status != 0) return {Event::error, 0};
    segments.clear();
    event = Event::more;
    const bool counting = !in_message || in_head;
    std::size_t chunk = n;
    if (counting && n > 0) {
      const std::size_t room =
          limits.max_header_bytes > head_bytes ? limits.max_header_bytes - head_bytes : 0;
      chunk = std::min(n, room + 1);  // one byte past the limit shows it was passed
    }
    http_parser_pause(&p, 0);
    const std::size_t used = http_parser_execute(&p, &s, data, chunk);
    const auto err = static_cast<http_errno>(p.http_errno);
    if (err != HPE_OK && err != HPE_PAUSED) {
      if (error_status == 0) {
        error_status = err == HPE_HEADER_OVERFLOW ? 431 : 400;
        error = http_errno_description(err);
      }
      return {Event::error, used};
    }
    if (counting) head_bytes += used;
    if (event == Event::head || event == Event::end) {
      head_bytes = 0;
    } else if (counting && in_head && head_bytes > limits.max_header_bytes) {
      error_status = 431;
      error = "the head is longer than " + std::to_string(limits.max_header_bytes) + " bytes";
      return {Event::error, used};
    }
    return {event, used};
  }
};

Parser::Parser(Kind kind, ParserLimits limits) : impl_(std::make_unique<Impl>(kind, limits)) {}
Parser::~Parser() = default;

Parser::Step Parser::feed(const char* data, std::size_t n) {
  if (n == 0) return {Event::more, 0};
  return impl_->run(data, n);
}

Parser::Step Parser::finish() {
  if (!impl_->in_message) return {Event::more, 0};
  return impl_->run(nullptr, 0);
}

Head& Parser::head() noexcept { return impl_->head; }
const std::vector<std::string_view>& Parser::body_segments() const noexcept {
  return impl_->segments;
}
int Parser::error_status() const noexcept { return impl_->error_status; }
const std::string& Parser::error() const noexcept { return impl_->error; }
bool Parser::in_message() const noexcept { return impl_->in_message; }
bool Parser::in_head() const noexcept { return impl_->in_message && impl_->in_head; }
void Parser::expect_no_body() noexcept { impl_->next_skips_body = true; }

}  // namespace weft::http::detail
