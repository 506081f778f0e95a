// The mailbox core: send, call, receive and receive_batch on MailboxState.

#include "mailbox/mailbox.hpp"

#include <stdexcept>
#include <string>

#include "mailbox/detail/mailbox_state.hpp"
#include "mailbox/detail/remote_inbox.hpp"
#include "sched/extension.hpp"
#include "sched/park.hpp"
#include "tasklet/extension.hpp"

namespace weft {

namespace detail {


namespace {

// Frees an envelope unless it was handed on.
class EnvelopeGuard {
 public:
  explicit EnvelopeGuard(Envelope* e) noexcept : e_(e) {}
  ~EnvelopeGuard() {
    if (e_ != nullptr) free_envelope(e_);
  }
  EnvelopeGuard(const EnvelopeGuard&) = delete;
  EnvelopeGuard& operator=(const EnvelopeGuard&) = delete;
  Envelope* release() noexcept { return std::exchange(e_, nullptr); }

 private:
  Envelope* e_;
};

std::string quoted(TaskletRecord& r) { return "tasklet '" + name_of(r) + "'"; }

// Why t cannot be sent to from here.
[[noreturn, gnu::cold, gnu::noinline]] void throw_bad_target(TaskletRecord* r, const char* what) {
  if (r == nullptr) throw std::logic_error(std::string("weft: ") + what + " to an empty Tasklet handle");
  throw std::logic_error(std::string("weft: ") + what + " to " + quoted(*r) +
                         ", which belongs to another loop (use weft::Address from other threads)");
}

// The record behind t, checked to be usable from this thread.
inline TaskletRecord& target(const Tasklet& t, const char* what) {
  TaskletRecord* r = t.record();
  if (__builtin_expect(r == nullptr || r->loop != current_loop(), 0)) throw_bad_target(r, what);
  return *r;
}

TaskletRecord& self_record(const char* what) {
  Fiber* f = running_tasklet();
  return static_cast<TaskletRecord&>(f != nullptr ? *f : current_fiber(what));
}

// Parks the caller until r's mailbox has room. Returns the mailbox, or nullptr
// when r finished meanwhile. Throws TimeoutError / TaskletExit.
MailboxState* wait_for_room(TaskletRecord& r, MailboxState* box, const Deadline& d,
                            const char* what) {
  Fiber& self = current_fiber(what);
  if (&self == &r) {
    throw std::logic_error("weft: " + quoted(r) + " cannot wait for room in its own full mailbox (" +
                           std::to_string(box->limit()) + " messages); use try_send()");
  }
  WaitList::Place place;  // its turn, kept when another sender takes the room first
  while (box->full()) {
    const Wake w = box->wait_room(d, place);
    if (w == Wake::killed) throw TaskletExit{};
    if (r.gone()) return nullptr;
    box = &MailboxState::of(r);
    if (w == Wake::timed_out && box->full()) {
      throw_timeout(d, std::string(what) + " to the full mailbox of " + quoted(r));
    }
  }
  return box;
}

// Parks the owner until `n` messages are pending. Throws TimeoutError / TaskletExit.
// (Inlined: every frame between a tasklet and its context switch costs a
// mispredicted return each time it is resumed.)
[[gnu::always_inline]] inline void await_messages(MailboxState& box, std::size_t n,
                                                  const Deadline& d, const char* what) {
  while (box.size() < n) {
    const Wake w = box.wait_pending(n, d);
    if (w == Wake::killed) throw TaskletExit{};
    if (w == Wake::timed_out && box.size() < n) throw_timeout(d, what);
  }
}

// await_messages(box, 1, never): what a receive without a deadline waits in,
// with no deadline to arm, keep or test.
[[gnu::always_inline]] inline void await_message(MailboxState& box) {
  while (box.size() == 0) {
    if (box.wait_pending(1, Deadline::never()) == Wake::killed) throw TaskletExit{};
  }
}

// The caller gives up: a later reply finds no slot.
void abandon(CallSlot& slot) noexcept {
  if (slot.env != nullptr) {
    slot.env->call = nullptr;
    slot.env = nullptr;
  }
}

}  // namespace

// ---------------------------------------------------------------- MailboxState

MailboxState& MailboxState::make(TaskletRecord& r) {
  auto& slot = r.ext[static_cast<unsigned>(TaskletSlot::mailbox)];
  slot = std::make_unique<MailboxState>(r);
  return static_cast<MailboxState&>(*slot);
}

MailboxState::~MailboxState() {
  if (remote_) remote_->close();
  Envelope* e = std::exchange(head_, nullptr);
  tail_ = nullptr;
  size_ = 0;
  while (e != nullptr) {
    Envelope* next = e->next.load(std::memory_order_relaxed);
    free_envelope(e);  // an unanswered call wakes its caller with a CallError
    e = next;
  }
  if (senders_) senders_->notify_all();  // they find the tasklet finished: send returns false
}

const std::shared_ptr<RemoteInbox>& MailboxState::remote() {
  if (!remote_) remote_ = std::make_shared<RemoteInbox>(this_loop(), owner_.loop, this, quoted(owner_));
  return remote_;
}

// ---------------------------------------------------------------- the core

namespace {

// send_envelope's every other case: no mailbox yet, a full one, a bad target.
[[gnu::noinline]] SendResult send_slow(const Tasklet& t, Envelope* e, Timeout timeout,
                                       bool may_wait) {
  EnvelopeGuard guard(e);
  TaskletRecord& r = target(t, may_wait ? "send()" : "try_send()");
  if (r.gone()) return SendResult::finished;
  MailboxState* box = &MailboxState::of(r);
  if (box->full()) {
    if (!may_wait) return SendResult::full;
    current_fiber("send() to a full mailbox");
    box = wait_for_room(r, box, Deadline::from(timeout), "send()");
    if (box == nullptr) return SendResult::finished;
  }
  box->push(guard.release());
  return SendResult::sent;
}

}  // namespace

SendResult send_envelope(const Tasklet& t, Envelope* e, Timeout timeout, bool may_wait) {
  // The common case in a few instructions: a live local tasklet whose mailbox has room.
  TaskletRecord* r = t.record();
  if (__builtin_expect(r != nullptr && r->loop == current_loop() && !r->gone(), 1)) {
    MailboxState* box = MailboxState::find(*r);
    if (box != nullptr && !box->full()) {
      box->push(e);
      return SendResult::sent;
    }
  }
  return send_slow(t, e, timeout, may_wait);
}

void call_envelope(const Tasklet& t, Envelope* e, CallSlot& slot, Timeout timeout) {
  EnvelopeGuard guard(e);
  TaskletRecord& r = target(t, "call()");
  Fiber& self = self_record("call()");
  if (&self == &r) {
    throw std::logic_error("weft: " + quoted(r) + " cannot call itself: it would wait for its own reply");
  }
  if (r.gone()) {
    throw CallError("weft: call to " + quoted(r) + " failed: it has finished");
  }
  const Deadline d = deadline_for(timeout, self);
  MailboxState* box = &MailboxState::of(r);
  if (box->full()) {
    box = wait_for_room(r, box, d, "call()");
    if (box == nullptr) throw CallError("weft: call to " + quoted(r) + " failed: it has finished");
  }
  e->is_call = true;
  e->call = &slot;
  slot.env = e;
  slot.caller = &self;
  box->push(guard.release());
  Loop& loop = *r.loop;  // this thread's loop: target() checked
  while (!slot.done) {
    const Wake w = park_on(loop, self, d, WaitKind::call, &r);
    if (w == Wake::killed) {
      abandon(slot);
      throw TaskletExit{};
    }
    if (slot.done) break;  // a reply that came in before a timeout could act still counts
    if (w == Wake::timed_out) {
      abandon(slot);
      throw_timeout(d, "call to " + quoted(r));
    }
  }
  if (slot.dropped) {
    if (r.gone()) {
      throw CallError("weft: call to " + quoted(r) + " failed: it finished without replying");
    }
    throw CallError("weft: call to " + quoted(r) +
                    " failed: it dropped the message without replying");
  }
  if (slot.error) std::rethrow_exception(slot.error);
}

std::exception_ptr reply_type_error(const std::type_info& wanted, const std::type_info& got) noexcept {
  try {
    std::string g = got == typeid(void) ? "no value (reply())" : "a " + demangle(got);
    throw std::logic_error("weft: call<" + demangle(wanted) + "> got " + g +
                           " as its reply; reply with exactly a " + demangle(wanted));
  } catch (...) {
    return std::current_exception();
  }
}

std::exception_ptr reply_copy_error(const std::type_info& wanted) noexcept {
  try {
    throw std::logic_error("weft: call<" + demangle(wanted) +
                           "> expects a move-only reply: reply(std::move(value))");
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace detail

Message receive(Timeout timeout) {
  detail::TaskletRecord& self = detail::self_record("receive()");
  detail::MailboxState& box = detail::MailboxState::of(self);
  if (box.size() == 0) {
    const Deadline d = detail::deadline_for(timeout, self);
    if (d.is_never()) {
      detail::await_message(box);
    } else {
      detail::await_messages(box, 1, d, "receive");
    }
  }
  return detail::MessageAccess::wrap(box.pop());
}

bool detail::rest_for_message() {
  detail::TaskletRecord& self = detail::self_record("receiver");
  detail::MailboxState& box = detail::MailboxState::of(self);
  if (box.size() != 0) return false;
  if (box.rest_pending() == Wake::killed) throw TaskletExit{};
  return true;
}

Message try_receive() {
  detail::TaskletRecord& self = detail::self_record("try_receive()");
  detail::MailboxState* box = detail::MailboxState::find(self);
  if (box == nullptr || box->size() == 0) return Message();
  return detail::MessageAccess::wrap(box->pop());
}

std::vector<Message> receive_batch(std::size_t max_size, Timeout batch_timeout, Timeout timeout) {
  if (max_size == 0) throw std::invalid_argument("weft: receive_batch() needs max_size >= 1");
  detail::TaskletRecord& self = detail::self_record("receive_batch()");
  detail::MailboxState& box = detail::MailboxState::of(self);
  if (box.size() == 0) detail::await_messages(box, 1, Deadline::from(timeout), "receive_batch");
  if (box.size() < max_size) {
    // batch_timeout counts from the first message.
    const Deadline d = Deadline::from(batch_timeout);
    while (box.size() < max_size) {
      const Wake w = box.wait_pending(max_size, d);
      if (w == Wake::killed) throw TaskletExit{};
      if (w == Wake::timed_out) {
        if (box.size() < max_size && d.from_scope()) throw_timeout(d, "receive_batch");
        break;
      }
    }
  }
  const std::size_t n = box.size() < max_size ? box.size() : max_size;
  std::vector<Message> batch;
  batch.reserve(n);
  for (std::size_t i = 0; i < n; ++i) batch.push_back(detail::MessageAccess::wrap(box.pop()));
  return batch;
}

std::size_t mailbox_size(const Tasklet& t) {
  detail::TaskletRecord* r = t.record();
  if (r == nullptr) throw std::logic_error("weft: mailbox_size() of an empty Tasklet handle");
  detail::MailboxState* box = detail::MailboxState::find(*r);
  return box == nullptr ? 0 : box->size();
}

}  // namespace weft
