#include "remote/connection.hpp"

#include <stdexcept>

#include "remote/detail/frame.hpp"
#include "sched/park.hpp"

namespace weft::remote {

namespace {
const detail::Core& require(const std::shared_ptr<detail::Core>& c, const char* what) {
  if (!c) throw std::logic_error(std::string("weft: ") + what + " on an empty remote::Connection");
  return *c;
}
}  // namespace

Connection Connection::connect(const std::string& url, Timeout timeout) {
  current_fiber("remote::Connection::connect()");
  return Connection(detail::connect(url, Deadline::from(timeout)));
}

Registration Connection::serve(const std::string& name, Address to,
                               std::vector<detail::Accept> accepts) const {
  require(core_, "register_name()");
  return Registration(detail::serve(core_, name, std::move(to), this_loop(), std::move(accepts)));
}

RemoteTasklet Connection::lookup(const std::string& name, Timeout timeout) const {
  require(core_, "lookup()");
  const Deadline d = Deadline::from(timeout);
  Encoder e;
  detail::begin_message(e, detail::kProbe, &d);
  e.nil();
  const std::string frame = detail::request(*core_, name, e.bytes(), d);
  detail::open_reply(name, frame);
  return RemoteTasklet(core_, name);
}

void Connection::close() const {
  if (core_) detail::close(core_);
}

const std::string& Connection::url() const { return detail::url(require(core_, "url()")); }

void Registration::reset() noexcept {
  if (served_) {
    detail::unserve(*served_);
    served_.reset();
  }
}

void RemoteTasklet::check() const {
  if (!core_) throw std::logic_error("weft: send or call through an empty RemoteTasklet");
}

namespace detail {
void throw_bad_reply(const std::string& name, const std::string& type, const DecodeError& e) {
  throw DecodeError(call_failed(name) + "its reply does not decode as " + type + ": " + e.what());
}
}  // namespace detail

}  // namespace weft::remote
