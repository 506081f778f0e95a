#include "compat_twisted/deferred.hpp"

#include <stdexcept>
#include <vector>

#include "compat_twisted/debug.hpp"
#include "compat_twisted/detail/deferred_state.hpp"
#include "compat_twisted/detail/loop_state.hpp"
#include "compat_twisted/errors.hpp"
#include "compat_twisted/reactor_time.hpp"
#include "sched/log.hpp"

namespace weft::twisted {

namespace detail {

namespace {

std::string prefixed_lines(const std::string& text, const char* prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out += prefix;
    out.append(text, start, end - start);
    out += '\n';
    start = end + 1;
  }
  return out;
}

}  // namespace

DeferredState::DeferredState() {
  if (TwistedLoopState* ls = loop_state(false); ls != nullptr && ls->debugging) {
    debug = std::make_unique<DebugInfo>();
    debug->creator = capture_stack();
  }
}

DeferredState::~DeferredState() {
  if (called && unhandled && result.isFailure()) report_unhandled(result.failure());
  // Continuations hold the Deferreds waiting on this one. When this was the
  // last owner of a long line of them, release it front to back instead of
  // recursively.
  std::vector<std::shared_ptr<DeferredState>> work;
  for (std::size_t i = head; i < callbacks.size(); ++i) {
    if (callbacks[i].chainee) work.push_back(std::move(callbacks[i].chainee));
  }
  callbacks.clear();
  while (!work.empty()) {
    std::shared_ptr<DeferredState> s = std::move(work.back());
    work.pop_back();
    if (s.use_count() == 1) {
      for (std::size_t i = s->head; i < s->callbacks.size(); ++i) {
        if (s->callbacks[i].chainee) work.push_back(std::move(s->callbacks[i].chainee));
      }
    }
  }
}

void DeferredState::start(Result r) {
  if (called) {
    if (suppress_already_called) {
      suppress_already_called = false;
      return;
    }
    std::string msg = "weft::twisted: the Deferred was already called (callback/errback fire once)";
    if (debug) {
      msg += "\n";
      msg += prefixed_lines(debug->creator.empty() ? "<no stack>" : debug->creator, " C:");
      msg += prefixed_lines(debug->invoker.empty() ? "<no stack>" : debug->invoker, " I:");
    }
    throw AlreadyCalledError(msg);
  }
  if (debug) debug->invoker = capture_stack();
  called = true;
  Deferred::Canceller released = std::move(canceller);
  canceller = nullptr;
  cancel_override = nullptr;
  result = std::move(r);
  run_callbacks();
}

void DeferredState::run_callbacks() {
  if (running) return;
  bool exit_pending = false;
  std::vector<std::shared_ptr<DeferredState>> chain;
  chain.push_back(shared_from_this());
  while (!chain.empty()) {
    // `cur` stays alive: chain holds it until it is popped below.
    DeferredState* cur = chain.back().get();
    if (cur->paused > 0) {
      // Twisted returns here, leaving the Deferreds below unprocessed until
      // something restarts them; going on with them is the sane reading.
      chain.pop_back();
      continue;
    }
    bool finished = true;
    cur->chained_to.reset();
    while (cur->head < cur->callbacks.size()) {
      Link item = std::move(cur->callbacks[cur->head]);
      if (++cur->head == cur->callbacks.size()) {
        cur->callbacks.clear();
        cur->head = 0;
      }
      if (item.chainee) {
        std::shared_ptr<DeferredState> chainee = std::move(item.chainee);
        chainee->result = std::move(cur->result);
        cur->result = Result();
        cur->unhandled = false;
        chainee->waiting_on.reset();
        chainee->paused -= 1;
        chain.push_back(std::move(chainee));
        finished = false;
        break;
      }
      Callback& fn = item.both || !cur->result.isFailure() ? item.cb : item.eb;
      if (!fn) continue;  // pass-through
      cur->running = true;
      cur->runner = weft::detail::running_tasklet();
      try {
        Result next = fn(cur->result);
        cur->result = std::move(next);
      } catch (const TaskletExit&) {
        cur->result = Failure(std::current_exception());
        exit_pending = true;
      } catch (...) {
        cur->result = Failure(std::current_exception());
      }
      cur->running = false;
      if (!cur->result.isDeferred()) continue;
      std::shared_ptr<DeferredState> x = cur->result.deferred().state();
      if (x.get() == cur) {
        cur->result = Failure(std::make_exception_ptr(std::logic_error(
            "weft::twisted: a callback returned the Deferred it was attached to; that would "
            "wait for itself forever")));
        continue;
      }
      if (!x->called || x->paused > 0) {
        cur->paused += 1;
        cur->chained_to = x;
        cur->waiting_on = x;
        cur->result = Result();
        Link cont;
        cont.chainee = chain.back();
        x->callbacks.push_back(std::move(cont));
        break;
      }
      // x has its result: take it and go on.
      Result taken = std::move(x->result);
      x->result = Result();
      x->unhandled = false;
      cur->result = std::move(taken);
    }
    if (finished) {
      cur->unhandled = cur->result.isFailure() && !cur->result.failure().isTaskletExit();
      chain.pop_back();
    }
  }
  if (exit_pending) throw TaskletExit{};
}

void DeferredState::cancel() {
  Deferred self(shared_from_this());
  if (cancel_override) {
    std::function<bool(Deferred&)> f = cancel_override;  // it may reset the member
    if (f(self)) return;
  }
  if (!called) {
    if (canceller) {
      Deferred::Canceller c = std::move(canceller);
      canceller = nullptr;
      try {
        c(self);
      } catch (...) {
        if (!called) canceller = std::move(c);  // it may be called again
        throw;
      }
    } else {
      suppress_already_called = true;
    }
    if (!called) start(Result(Failure(CancelledError())));
  } else if (std::shared_ptr<DeferredState> x = waiting_on.lock()) {
    x->cancel();
  }
}

}  // namespace detail

Deferred::Deferred() : s_(std::make_shared<detail::DeferredState>()) {}

Deferred::Deferred(Canceller canceller) : Deferred() { s_->canceller = std::move(canceller); }

void Deferred::addLink(detail::Callback cb, detail::Callback eb, bool both) {
  detail::Link l;
  l.cb = std::move(cb);
  l.eb = std::move(eb);
  l.both = both;
  s_->callbacks.push_back(std::move(l));
  if (s_->called) s_->run_callbacks();
}

void Deferred::fire(Result r) {
  if (r.isDeferred()) {
    throw std::invalid_argument(
        "weft::twisted: callback() with a Deferred is not allowed; return it from a callback "
        "(chaining) or use chainDeferred()");
  }
  s_->start(std::move(r));
}

void Deferred::callback() { s_->start(Result()); }

void Deferred::errback() { s_->start(Result(Failure::current())); }

void Deferred::errback(Failure failure) { s_->start(Result(std::move(failure))); }

void Deferred::errback(std::exception_ptr error) { s_->start(Result(Failure(std::move(error)))); }

void Deferred::pause() { ++s_->paused; }

void Deferred::unpause() {
  if (s_->paused <= 0) {
    throw std::logic_error("weft::twisted: Deferred::unpause() without a matching pause()");
  }
  if (--s_->paused > 0) return;
  if (s_->called) s_->run_callbacks();
}

void Deferred::cancel() { s_->cancel(); }

bool Deferred::called() const noexcept { return s_->called; }

int Deferred::paused() const noexcept { return s_->paused; }

const Result& Deferred::result() const noexcept { return s_->result; }

void Deferred::setCancelOverride(std::function<bool(Deferred&)> f) {
  s_->cancel_override = std::move(f);
}

Deferred& Deferred::chainDeferred(Deferred other) {
  other.s_->chained_to = s_;
  return addCallbacks([other](Result& r) mutable -> Result {
                        other.fire(std::move(r));
                        return Result();
                      },
                      [other](Result& r) mutable -> Result {
                        other.fire(std::move(r));
                        return Result();
                      });
}

Deferred& Deferred::addTimeout(double timeout, IReactorTime& clock,
                               OnTimeoutCancel onTimeoutCancel) {
  auto timedOut = std::make_shared<bool>(false);
  std::weak_ptr<detail::DeferredState> weak = s_;
  DelayedCall call = clock.callLater(timeout, [timedOut, weak] {
    *timedOut = true;
    if (std::shared_ptr<detail::DeferredState> s = weak.lock()) s->cancel();
  });
  addBoth([timedOut, timeout, convert = std::move(onTimeoutCancel)](Result& r) -> Result {
    if (!*timedOut) return std::move(r);
    if (convert) return convert(std::move(r), timeout);
    if (r.isFailure()) {
      r.failure().trap<CancelledError>();
      throw TimeoutError("weft::twisted: Deferred timed out after " + std::to_string(timeout) +
                         " s");
    }
    return std::move(r);
  });
  addBoth([call](Result& r) mutable -> Result {
    if (call.active()) call.cancel();
    return std::move(r);
  });
  return *this;
}

// ---------------------------------------------------------------- Result

namespace detail {

void throw_type_mismatch(const Result& r, const std::type_info& wanted) {
  throw TypeMismatch("weft::twisted: expected a result of type " +
                     weft::detail::demangle(wanted) + " but got " + r.describe());
}

}  // namespace detail

Result::Result(const Deferred& d) noexcept : v_(std::in_place_index<2>, d.state()) {}

const std::any& Result::value() const {
  if (v_.index() != 0) detail::throw_type_mismatch(*this, typeid(std::any));
  return std::get<0>(v_);
}

std::any& Result::value() {
  if (v_.index() != 0) detail::throw_type_mismatch(*this, typeid(std::any));
  return std::get<0>(v_);
}

const Failure& Result::failure() const {
  if (v_.index() != 1) detail::throw_type_mismatch(*this, typeid(Failure));
  return std::get<1>(v_);
}

Deferred Result::deferred() const {
  if (v_.index() != 2) detail::throw_type_mismatch(*this, typeid(Deferred));
  return Deferred(std::get<2>(v_));
}

std::string Result::describe() const {
  switch (v_.index()) {
    case 0: {
      const std::any& a = std::get<0>(v_);
      return a.has_value() ? weft::detail::demangle(a.type()) : "None";
    }
    case 1: {
      const Failure& f = std::get<1>(v_);
      return "Failure(" + f.typeName() + ": " + f.getErrorMessage() + ")";
    }
    default:
      return "Deferred";
  }
}

}  // namespace weft::twisted
