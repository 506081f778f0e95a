#include "compat_twisted/inline_callbacks.hpp"

#include <memory>
#include <stdexcept>

#include "compat_twisted/detail/deferred_state.hpp"
#include "compat_twisted/detail/loop_state.hpp"
#include "compat_twisted/errors.hpp"
#include "sched/park.hpp"
#include "tasklet/tasklet.hpp"

// How the synchronous start and resume work. A tasklet normally runs only
// when the running one parks; here the one that starts or resumes a body
// (the "resumer") parks on purpose until the body hands control back:
//   - start_body(): the caller spawns the body, registers itself as the body's
//     hand-back target, and parks;
//   - a Deferred the body waits on fires: the continuation in its chain puts
//     the body first in the run queue, registers the firing tasklet as the
//     hand-back target, and parks it;
//   - the body hands back (unparks the target, first in the queue) when it
//     parks in wait() on an unfired Deferred, or when it ends.
// These nest like the calls they stand for in Twisted. A resumer that is
// killed while it waits withdraws and unwinds; the body goes on alone.

namespace weft::twisted {

using weft::detail::Fiber;

namespace detail {

struct HandBack {
  Fiber* fiber;
  bool returned = false;
};

struct BodyCtl : std::enable_shared_from_this<BodyCtl> {
  Fiber* fiber = nullptr;                   // the body's tasklet, once it runs
  HandBack* handback = nullptr;             // who resumes when the body next waits or ends
  std::weak_ptr<DeferredState> awaited;     // what it waits on (for cancel)
};

namespace {

// Shared by a wait() and the continuation it adds to the Deferred.
struct WaitState {
  Fiber* fiber = nullptr;               // the waiter, once parked
  std::shared_ptr<BodyCtl> body;        // the waiter's body, when it is one
  Result result;
  bool parked = false;
  bool done = false;
  bool abandoned = false;               // the waiter gave up (timeout, kill, not a tasklet)
};

void hand_back(BodyCtl& ctl) noexcept {
  if (HandBack* hb = std::exchange(ctl.handback, nullptr)) {
    hb->returned = true;
    weft::unpark(*hb->fiber, Wake::ready, true);
  }
}

// Parks the current tasklet until the body hands back through `hb`.
void await_hand_back(const std::shared_ptr<BodyCtl>& ctl, HandBack& hb) {
  while (!hb.returned) {
    if (weft::park(Deadline::never(), WaitKind::deferred, ctl.get()) == Wake::killed &&
        !hb.returned) {
      if (ctl->handback == &hb) ctl->handback = nullptr;
      throw TaskletExit{};
    }
  }
}

std::shared_ptr<BodyCtl> body_of(Fiber* f) {
  TwistedLoopState* ls = loop_state(false);
  if (ls == nullptr || f == nullptr) return nullptr;
  auto it = ls->bodies.find(f);
  return it == ls->bodies.end() ? nullptr : it->second->shared_from_this();
}

// The continuation wait() adds: delivers the result and wakes the waiter
// (synchronously when it is a body and we are in a tasklet).
Result deliver(const std::shared_ptr<WaitState>& ws, Result& r) {
  if (ws->abandoned) return std::move(r);
  ws->result = std::move(r);
  ws->done = true;
  if (!ws->parked) return Result();  // fired already: wait() takes it without parking
  Fiber* self = weft::detail::running_tasklet();
  std::shared_ptr<BodyCtl> body = ws->body;
  if (body && self != nullptr && self != ws->fiber && body->handback == nullptr) {
    HandBack hb{self};
    body->handback = &hb;
    weft::unpark(*ws->fiber, Wake::ready, true);
    await_hand_back(body, hb);
  } else {
    weft::unpark(*ws->fiber, Wake::ready, false);
  }
  return Result();
}

}  // namespace

Deferred start_body(std::function<Result()> body) {
  auto ctl = std::make_shared<BodyCtl>();
  Deferred result;
  std::weak_ptr<BodyCtl> weak = ctl;
  result.setCancelOverride([weak](Deferred& self) -> bool {
    if (self.called()) return false;  // the standard rule: forward to a chained Deferred
    if (std::shared_ptr<BodyCtl> c = weak.lock()) {
      if (std::shared_ptr<DeferredState> awaited = c->awaited.lock()) Deferred(awaited).cancel();
    }
    return true;
  });
  SpawnOptions options;
  options.name = "inlineCallbacks";
  options.daemon = true;
  Tasklet::spawn(
      [ctl, result, body = std::move(body)]() mutable {
        TwistedLoopState& ls = *loop_state(true);
        ctl->fiber = weft::detail::running_tasklet();
        ls.bodies[ctl->fiber] = ctl.get();
        struct Finish {
          TwistedLoopState& ls;
          BodyCtl& ctl;
          ~Finish() {
            ls.bodies.erase(ctl.fiber);
            hand_back(ctl);
          }
        } finish{ls, *ctl};
        Result outcome;
        try {
          outcome = body();
        } catch (const TaskletExit&) {
          throw;  // killed: the Deferred stays unfired
        } catch (...) {
          outcome = Failure::current();
        }
        body = nullptr;  // release what the function held before firing
        if (outcome.isDeferred()) {
          outcome = Failure(std::invalid_argument(
              "weft::twisted: an inlineCallbacks function returned a Deferred; return wait(d)"));
        }
        try {
          result.state()->start(std::move(outcome));
        } catch (const TaskletExit&) {
          throw;
        } catch (...) {
          report_unhandled(Failure::current());  // e.g. AlreadyCalledError: fired by someone else
        }
      },
      std::move(options));
  if (Fiber* self = weft::detail::running_tasklet()) {
    HandBack hb{self};
    ctl->handback = &hb;
    await_hand_back(ctl, hb);
  }
  return result;
}

}  // namespace detail

Result wait(Deferred d, Timeout timeout) {
  auto ws = std::make_shared<detail::WaitState>();
  detail::DeferredState& s = *d.state();
  Fiber* self = weft::detail::running_tasklet();
  if (s.running && s.runner == self && self != nullptr) {
    throw std::logic_error(
        "weft::twisted: wait() on a Deferred from inside one of its own callbacks would never "
        "return");
  }
  d.addBoth([ws](Result& r) { return detail::deliver(ws, r); });
  if (!ws->done) {
    if (self == nullptr) {
      ws->abandoned = true;
      throw NotInTasklet(
          "weft::twisted: wait() on an unfired Deferred must be called from a tasklet");
    }
    const Deadline deadline = Deadline::from(timeout);
    std::shared_ptr<detail::BodyCtl> body = detail::body_of(self);
    ws->fiber = self;
    ws->body = body;
    ws->parked = true;
    if (body) {
      body->awaited = d.state();
      detail::hand_back(*body);
    }
    for (;;) {
      const Wake w = weft::park(deadline, WaitKind::deferred, d.state().get());
      if (ws->done) break;
      if (w == Wake::killed || w == Wake::timed_out) {
        ws->abandoned = true;
        ws->body = nullptr;
        if (body) body->awaited.reset();
        if (w == Wake::killed) throw TaskletExit{};
        throw_timeout(deadline, "wait() on a Deferred");
      }
    }
    if (body) body->awaited.reset();
  }
  Result r = std::move(ws->result);
  if (r.isFailure()) r.failure().raiseException();
  return r;
}

Deferred ensureDeferred(const Result& r) {
  if (r.isDeferred()) return r.deferred();
  throw NotACoroutineError("weft::twisted: ensureDeferred() needs a Deferred or a function, got " +
                           r.describe());
}

}  // namespace weft::twisted
