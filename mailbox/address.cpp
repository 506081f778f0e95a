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
    inbox_ = std::make_shared<detail::RemoteInbox>(LoopRef(), nullptr, nullptr);
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
