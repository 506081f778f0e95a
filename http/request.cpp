#include "http/request.hpp"

#include "http/detail/connection.hpp"
#include "http/detail/exchange.hpp"

namespace weft::http {

std::string_view Request::path() const noexcept {
  const std::string_view t = head_.target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const noexcept {
  const std::string_view t = head_.target;
  const std::size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

std::optional<std::uint64_t> Request::content_length() const noexcept {
  if (!head_.has_length) return std::nullopt;
  return head_.content_length;
}

std::size_t Request::read(std::span<char> into, Timeout t) {
  return x_->core.read_body(*x_, into, t);
}

std::string Request::read_body(Timeout t) {
  std::optional<DeadlineScope> scope;
  if (!t.is_current()) scope.emplace(t);  // one deadline for the whole body
  std::string body;
  if (head_.has_length) body.reserve(head_.content_length);
  constexpr std::size_t kStep = 16 * 1024;
  for (;;) {
    const std::size_t old = body.size();
    body.resize(old + kStep);
    const std::size_t n = read({body.data() + old, kStep});
    body.resize(old + n);
    if (n == 0) return body;
  }
}

std::uint64_t Request::body_received() const noexcept { return x_->body_received; }
bool Request::body_complete() const noexcept { return x_->body_done; }

}  // namespace weft::http
