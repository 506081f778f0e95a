#include "remote/detail/frame.hpp"

#include <chrono>

#include "sched/timeout.hpp"

namespace weft::remote::detail {

void begin_message(Encoder& e, std::string_view type, const Deadline* d) {
  e.array(3);
  e.string(type);
  if (d == nullptr || d->is_never()) {
    e.nil();
    return;
  }
  const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          weft::now().time_since_epoch()).count();
  const std::int64_t left_ms = (d->ns() - now_ns + 999'999) / 1'000'000;
  e.integer(left_ms > 0 ? left_ms : 0);
}

std::string error_frame(Status s, std::string_view type, std::string_view message) {
  Encoder e;
  e.array(3);
  e.integer(static_cast<std::int64_t>(s));
  e.string(type);
  e.string(message);
  return e.take();
}

std::string call_failed(std::string_view name) {
  return "weft: call to remote '" + std::string(name) + "' failed: ";
}

Decoder open_reply(std::string_view name, std::string_view frame) {
  std::int64_t status = 0;
  try {
    Decoder d(frame);
    const std::size_t n = d.array();
    status = d.integer();
    if (status == 0 && n == 2) return d;
    if (status == 0 || n != 3) throw DecodeError("not a reply frame");
    std::string type = d.string();
    std::string message = d.string();
    const std::string what = call_failed(name) + (type.empty() ? "" : type + ": ") + message;
    switch (static_cast<Status>(status)) {
      case Status::unreachable: throw CallError(what);
      case Status::bad_message: throw DecodeError(what);
      default: throw RemoteError(std::move(type), std::move(message), what);
    }
  } catch (const DecodeError& e) {
    if (status != 0 && std::string_view(e.what()).rfind("weft: ", 0) == 0) throw;
    throw DecodeError(call_failed(name) + "its reply is not a weft reply frame: " + e.what());
  }
}

}  // namespace weft::remote::detail
