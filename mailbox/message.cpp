#include "mailbox/message.hpp"

#include <cstdlib>
#include <stdexcept>

#include "sched/log.hpp"
#include "sched/park.hpp"

namespace weft {

namespace detail {

namespace {

// Why `e` cannot be answered (empty, sent rather than called, or answered).
[[noreturn, gnu::cold, gnu::noinline]] void throw_unanswerable(Envelope* e, const char* what) {
  if (e == nullptr) throw std::logic_error(std::string("weft: ") + what + " on an empty Message");
  if (!e->is_call) {
    throw std::logic_error(std::string("weft: ") + what + " on a message of type " +
                           demangle(*e->ops->type) +
                           " that was sent, not called: only a call() waits for a reply");
  }
  throw std::logic_error(std::string("weft: ") + what + " on a call of type " +
                         demangle(*e->ops->type) + " that was already answered");
}

// Checks that `e` may be answered and marks it answered; returns the waiting
// caller's slot (nullptr when the caller gave up: the answer is dropped).
inline CallSlot* claim(Envelope* e, const char* what) {
  if (__builtin_expect(e == nullptr || !e->is_call || e->replied, 0)) throw_unanswerable(e, what);
  e->replied = true;
  CallSlot* s = e->call;
  if (s == nullptr) return nullptr;
  e->call = nullptr;
  s->env = nullptr;
  return s;
}

void wake(CallSlot& s) noexcept {
  s.done = true;
  if (s.notify != nullptr) {
    s.notify(s.notify_ctx);  // a caller on another loop
  } else {
    unpark(*s.caller, Wake::ready, true);
  }
}

}  // namespace

void deliver_reply(Envelope* e, const std::type_info& type, void* value, bool rvalue) {
  CallSlot* s = claim(e, "reply()");
  if (s == nullptr) return;
  s->accept(*s, type, value, rvalue);
  wake(*s);
}

void deliver_error(Envelope* e, std::exception_ptr error) {
  if (!error) throw std::invalid_argument("weft: reply_error() needs an exception");
  CallSlot* s = claim(e, "reply_error()");
  if (s == nullptr) return;
  s->error = std::move(error);
  wake(*s);
}

}  // namespace detail

Message& Message::operator=(Message&& o) noexcept {
  if (this != &o) {
    if (env_ != nullptr) detail::free_envelope(env_);
    env_ = std::exchange(o.env_, nullptr);
  }
  return *this;
}

Message::~Message() {
  if (env_ != nullptr) detail::free_envelope(env_);
}

const std::type_info& Message::type() const noexcept {
  return env_ == nullptr ? typeid(void) : *env_->ops->type;
}

std::string Message::type_name() const { return detail::demangle(type()); }

bool Message::is_call() const noexcept { return env_ != nullptr && env_->is_call; }

bool Message::wants_reply() const noexcept {
  return env_ != nullptr && env_->is_call && !env_->replied && env_->call != nullptr &&
         !env_->call->caller_gone();
}

void Message::reply() { detail::deliver_reply(env_, typeid(void), nullptr, false); }

void Message::reply_error(std::exception_ptr error) {
  detail::deliver_error(env_, std::move(error));
}

void Message::throw_not_a(const std::type_info& wanted) const {
  if (env_ == nullptr) {
    throw std::logic_error("weft: as<" + detail::demangle(wanted) + ">() on an empty Message");
  }
  throw std::logic_error("weft: the message is a " + type_name() + ", not a " +
                         detail::demangle(wanted));
}

void Message::throw_reply_not_a(const std::type_info& request) const {
  const std::string req = detail::demangle(request);
  if (env_ == nullptr) throw std::logic_error("weft: reply<" + req + ">() on an empty Message");
  throw std::logic_error("weft: reply<" + req + ">() to a message that is a " + type_name() +
                         ", not a " + req);
}

}  // namespace weft
