#include "mailbox/address.hpp"

#include "mailbox/detail/mailbox_state.hpp"
#include "mailbox/detail/remote_inbox.hpp"
#include "sched/extension.hpp"
#include "tasklet/extension.hpp"

namespace weft {

Address::Address(const Tasklet& t) {
  detail::TaskletRecord* r = t.record();
  if (r == nullptr) throw std::logic_error("weft: Address of an empty Tasklet handle");
  if (r->loop != detail::current_loop()) {
    throw std::logic_error("weft: the Address of tasklet '" + detail::name_of(*r) +
                           "' must be made on its own loop's thread");
  }
  if (r->gone()) {
    inbox_ = std::make_shared<detail::RemoteInbox>(LoopRef(), nullptr, nullptr,
                                                   "tasklet '" + detail::name_of(*r) + "'");
    inbox_->closed.store(true);
    return;
  }
  inbox_ = detail::MailboxState::of(*r).remote();
}

bool Address::push(detail::Envelope* e) const noexcept { return inbox_->push(e); }

bool Address::alive() const noexcept {
  return inbox_ != nullptr && !inbox_->closed.load(std::memory_order_acquire);
}

}  // namespace weft

namespace weft::detail {

namespace {

std::string dropped_text(const RemoteInbox& in) {
  if (!in.loop.alive()) return "weft: call to " + in.owner + " failed: its loop has ended";
  if (in.closed.load(std::memory_order_acquire)) {
    return "weft: call to " + in.owner + " failed: it finished without replying";
  }
  return "weft: call to " + in.owner + " failed: it dropped the message without replying";
}

// Called on the callee's side once the call is settled (replied, failed or
// dropped): wakes the caller on its own loop and drops this side's reference.
void settle(void* ctx) noexcept {
  auto* call = static_cast<CrossCall*>(ctx);
  std::shared_ptr<CrossCall> keep = std::move(call->self);
  call->settled.set();
}

}  // namespace

void cross_call(RemoteInbox& in, Envelope* e, const std::shared_ptr<CrossCall>& call,
                Timeout timeout) {
  CallSlot& slot = call->slot();
  Fiber& self = current_fiber("Address::call()");
  if (in.loop_id == current_loop() && in.box != nullptr && &in.box->owner() == &self) {
    free_envelope(e);
    throw std::logic_error("weft: " + in.owner +
                           " cannot call itself: it would wait for its own reply");
  }
  const Deadline d = Deadline::from(timeout);
  e->is_call = true;
  e->call = &slot;
  slot.env = e;
  slot.notify = &settle;
  slot.notify_ctx = call.get();
  slot.gave_up = &call->abandoned;
  call->self = call;
  if (!in.push(e)) {  // refused: e was freed and the slot settled as dropped
    throw CallError("weft: call to " + in.owner + " failed: " +
                    (in.loop.alive() ? "it has finished" : "its loop has ended"));
  }
  const Wake w = call->settled.wait(d);
  if (w != Wake::ready) {
    call->abandoned.store(true, std::memory_order_relaxed);
    check_wake(w, d, "call to " + in.owner);
  }
  if (slot.dropped) throw CallError(dropped_text(in));
  if (slot.error) std::rethrow_exception(slot.error);
}

bool push_call(const Address& to, Envelope* e, CallSlot& slot) noexcept {
  e->is_call = true;
  e->call = &slot;
  slot.env = e;
  if (!to.inbox_) {
    free_envelope(e);  // settles the slot as dropped
    return false;
  }
  return to.push(e);
}

}  // namespace weft::detail

namespace weft {

std::string dropped_call_reason(const Address& to) {
  if (!to.inbox_) return "weft: call through an empty Address";
  return detail::dropped_text(*to.inbox_);
}

}  // namespace weft
