#include "http/response.hpp"

#include <charconv>
#include <optional>
#include <stdexcept>

#include "http/detail/connection.hpp"
#include "http/detail/exchange.hpp"

namespace weft::http {

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

namespace {

void append_number(std::string& out, std::uint64_t v, int base = 10) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, base);
  out.append(buf, r.ptr);
}

}  // namespace

void Response::set_status(int status, std::string_view reason) {
  if (started_) throw std::logic_error("weft: http Response::set_status after the response started");
  if (status < 100 || status > 999) {
    throw std::invalid_argument("weft: http status " + std::to_string(status) +
                                " is not a three-digit code");
  }
  status_ = status;
  reason_ = reason;
}

bool Response::body_allowed() const noexcept {
  return status_ >= 200 && status_ != 204 && status_ != 304;
}

void Response::start(std::string& out, bool length_known, std::uint64_t length) {
  detail::Exchange& x = *x_;
  const Request& req = x.request;
  const bool http10 = req.version() == Version{1, 0};
  bool close = x.close_after || (!x.body_done && req.head_.expect_continue && !x.continue_sent);
  // One pass over the fields for what the server reads or sets itself
  // (Connection and Transfer-Encoding are rare in a handler's fields).
  bool server_fields = false;
  std::optional<std::string_view> given_length;
  for (const auto& [name, value] : headers_) {
    if (iequals(name, "Connection") || iequals(name, "Transfer-Encoding")) {
      server_fields = true;
    } else if (!given_length && iequals(name, "Content-Length")) {
      given_length = value;
    }
  }
  if (server_fields) {
    close = close || headers_.contains_token("Connection", "close");
    headers_.remove("Connection");
    headers_.remove("Transfer-Encoding");
    given_length = headers_.get("Content-Length");
  }
  bool add_length = false;
  if (!body_allowed()) {
    framing_ = Framing::length;
    left_ = 0;
  } else if (given_length) {
    const std::string_view cl = *given_length;
    std::uint64_t v = 0;
    const auto r = std::from_chars(cl.data(), cl.data() + cl.size(), v);
    if (r.ec != std::errc() || r.ptr != cl.data() + cl.size()) {
      throw std::invalid_argument("weft: http response Content-Length '" + std::string(cl) +
                                  "' is not a number");
    }
    framing_ = Framing::length;
    left_ = v;
  } else if (length_known) {
    framing_ = Framing::length;
    left_ = length;
    add_length = true;
  } else if (!http10) {
    framing_ = Framing::chunked;
  } else {
    framing_ = Framing::close;
    close = true;
  }
  if (close) x.core.close_after(x);
  // The status line: set_status keeps the code to three digits.
  const char line[] = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ',
                       static_cast<char>('0' + status_ / 100), static_cast<char>('0' + status_ / 10 % 10),
                       static_cast<char>('0' + status_ % 10), ' '};
  out.append(line, sizeof line);
  out.append(reason_.empty() ? reason_phrase(status_) : std::string_view(reason_));
  out.append("\r\n");
  for (const auto& [name, value] : headers_) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  if (add_length) {
    out.append("Content-Length: ");
    append_number(out, length);
    out.append("\r\n");
  }
  if (framing_ == Framing::chunked) out.append("Transfer-Encoding: chunked\r\n");
  if (close) {
    out.append("Connection: close\r\n");
  } else if (http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  started_ = true;
}

void Response::send(std::string_view body, Timeout t) {
  if (started_) throw std::logic_error("weft: http Response::send after the response started");
  std::string out;
  out.reserve(128 + body.size());
  start(out, true, body.size());
  finished_ = true;
  if (x_->request.method() != "HEAD" && body_allowed()) {
    if (framing_ == Framing::length && body.size() != left_) {
      throw std::logic_error("weft: http Response::send of " + std::to_string(body.size()) +
                             " bytes with a Content-Length of " + std::to_string(left_));
    }
    out.append(body);
  }
  x_->core.emit(*x_, out, t);
}

void Response::write(std::string_view data, Timeout t) {
  if (finished_) throw std::logic_error("weft: http Response::write after the response ended");
  std::string out;
  if (!started_) start(out, false, 0);
  if (x_->request.method() != "HEAD" && body_allowed() && !data.empty()) {
    switch (framing_) {
      case Framing::length:
        if (data.size() > left_) {
          throw std::logic_error("weft: http Response::write past the Content-Length (" +
                                 std::to_string(data.size()) + " bytes, " +
                                 std::to_string(left_) + " left)");
        }
        left_ -= data.size();
        out.append(data);
        break;
      case Framing::chunked:
        append_number(out, data.size(), 16);
        out.append("\r\n").append(data).append("\r\n");
        break;
      case Framing::close:
        out.append(data);
        break;
    }
  }
  if (!out.empty()) x_->core.emit(*x_, out, t);
}

void Response::end(Timeout t) {
  if (finished_) return;
  if (!started_) {
    send({}, t);
    return;
  }
  finished_ = true;
  const bool body = x_->request.method() != "HEAD" && body_allowed();
  if (body && framing_ == Framing::length && left_ > 0) {
    x_->core.close_after(*x_);
    throw std::logic_error("weft: http response ended " + std::to_string(left_) +
                           " bytes short of its Content-Length");
  }
  if (body && framing_ == Framing::chunked) x_->core.emit(*x_, "0\r\n\r\n", t);
}

}  // namespace weft::http
