#include "compat_twisted/cooperator.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include "compat_twisted/detail/cooperator_state.hpp"
#include "compat_twisted/errors.hpp"

namespace weft::twisted {

namespace detail {

// ---------------------------------------------------------------- tasks

void TaskState::checkFinish() const {
  if (completionState) std::rethrow_exception(completionState);
}

void TaskState::completeWith(std::exception_ptr state, Result result) {
  completionState = std::move(state);
  completionResult = result;
  std::shared_ptr<CoopState> c = coop.lock();
  if (pauseCount == 0 && c) c->removeTask(*this);
  // Fire after the bookkeeping: a callback may touch the Cooperator.
  std::vector<Deferred> waiting = std::move(deferreds);
  deferreds.clear();
  for (Deferred& d : waiting) d.callback(result);
}

void TaskState::pause() {
  checkFinish();
  pauseCount += 1;
  if (pauseCount == 1) {
    if (std::shared_ptr<CoopState> c = coop.lock()) c->removeTask(*this);
  }
}

void TaskState::resume() {
  if (pauseCount == 0) throw NotPaused();
  pauseCount -= 1;
  if (pauseCount == 0 && !completionState) {
    if (std::shared_ptr<CoopState> c = coop.lock()) c->addTask(shared_from_this());
  }
}

void TaskState::oneWorkUnit() {
  std::optional<Result> r;
  try {
    r = (*iterator)();
  } catch (const TaskletExit&) {
    throw;
  } catch (...) {
    completeWith(std::make_exception_ptr(TaskFailed()), Failure::current());
    return;
  }
  if (!r) {
    completeWith(std::make_exception_ptr(TaskDone()), Result(iterator));
    return;
  }
  if (!r->isDeferred()) return;
  pause();
  std::shared_ptr<TaskState> self = shared_from_this();
  Deferred d = r->deferred();
  d.addCallbacks([self](Result&) { self->resume(); },
                 [self](const Failure& failure) {
                   // Twisted would switch a task that was stopped meanwhile to
                   // TaskFailed and fail this Deferred with AlreadyCalledError;
                   // a finished task just ignores the late failure.
                   if (!self->completionState) {
                     self->completeWith(std::make_exception_ptr(TaskFailed()), failure);
                   }
                 });
}

// ---------------------------------------------------------------- cooperator

void CoopState::addTask(const std::shared_ptr<TaskState>& t) {
  tasks.push_back(t);
  if (stopped) {
    t->completeWith(std::make_exception_ptr(SchedulerStopped()), Failure(SchedulerStopped()));
  } else {
    reschedule();
  }
}

void CoopState::removeTask(const TaskState& t) {
  auto it = std::find_if(tasks.begin(), tasks.end(),
                         [&](const std::shared_ptr<TaskState>& p) { return p.get() == &t; });
  if (it == tasks.end()) return;
  tasks.erase(it);
  if (tasks.empty() && delayedCall) {
    DelayedCall c = *delayedCall;
    delayedCall.reset();
    c.cancel();
  }
}

void CoopState::tick() {
  delayedCall.reset();
  std::shared_ptr<CoopState> keep = shared_from_this();
  std::function<bool()> terminator = terminationPredicateFactory();
  bool done = false;
  while (!done && !tasks.empty()) {
    while (metarator < tasks.size()) {
      std::shared_ptr<TaskState> t = tasks[metarator++];
      t->oneWorkUnit();
      if (terminator()) {
        done = true;
        break;
      }
    }
    if (!done) metarator = 0;  // Python: self._metarator = iter(self._tasks)
  }
  reschedule();
}

void CoopState::reschedule() {
  if (!started) {
    mustScheduleOnStart = true;
    return;
  }
  if (!delayedCall && !tasks.empty()) {
    std::weak_ptr<CoopState> weak = weak_from_this();
    delayedCall = scheduler([weak] {
      if (std::shared_ptr<CoopState> s = weak.lock()) s->tick();
    });
  }
}

namespace {

std::function<bool()> default_timer() {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(10);
  return [end] { return std::chrono::steady_clock::now() >= end; };
}

}  // namespace

}  // namespace detail

// ---------------------------------------------------------------- CooperativeTask

Deferred CooperativeTask::whenDone() {
  Deferred d;
  if (!s_->completionState) {
    s_->deferreds.push_back(d);
  } else {
    d.callback(*s_->completionResult);
  }
  return d;
}

void CooperativeTask::pause() { s_->pause(); }

void CooperativeTask::resume() { s_->resume(); }

void CooperativeTask::stop() {
  s_->checkFinish();
  s_->completeWith(std::make_exception_ptr(TaskStopped()), Failure(TaskStopped()));
}

const std::shared_ptr<Iterator>& CooperativeTask::iterator() const noexcept {
  return s_->iterator;
}

// ---------------------------------------------------------------- Cooperator

Cooperator::Cooperator(IReactorTime& reactor, CooperatorOptions options)
    : Cooperator([&] {
        if (!options.scheduler) {
          options.scheduler = [&reactor](std::function<void()> tick) {
            return reactor.callLater(1e-8, std::move(tick));
          };
        }
        return std::move(options);
      }()) {}

Cooperator::Cooperator(CooperatorOptions options) : s_(std::make_shared<detail::CoopState>()) {
  if (!options.scheduler) {
    throw std::invalid_argument("weft::twisted: a Cooperator without a reactor needs a scheduler");
  }
  s_->scheduler = std::move(options.scheduler);
  s_->terminationPredicateFactory = options.terminationPredicateFactory
                                        ? std::move(options.terminationPredicateFactory)
                                        : std::function<std::function<bool()>()>(detail::default_timer);
  s_->started = options.started;
}

Cooperator::~Cooperator() {
  // Without a Cooperator nobody can start or stop it again; a pending tick
  // would only keep it alive. Tasks keep their state (whenDone never fires).
  if (s_->delayedCall) {
    DelayedCall c = *s_->delayedCall;
    s_->delayedCall.reset();
    if (c.active()) c.cancel();
  }
  for (auto& t : s_->tasks) t->coop.reset();
  s_->tasks.clear();
}

CooperativeTask Cooperator::cooperate(Iterator it) {
  auto t = std::make_shared<detail::TaskState>();
  t->iterator = std::make_shared<Iterator>(std::move(it));
  t->coop = s_;
  s_->addTask(t);
  return CooperativeTask(t);
}

Deferred Cooperator::coiterate(Iterator it, std::optional<Deferred> doneDeferred) {
  Deferred done = doneDeferred ? *doneDeferred : Deferred();
  cooperate(std::move(it)).whenDone().chainDeferred(done);
  return done;
}

void Cooperator::start() {
  s_->stopped = false;
  s_->started = true;
  if (s_->mustScheduleOnStart) {
    s_->mustScheduleOnStart = false;
    s_->reschedule();
  }
}

void Cooperator::stop() {
  s_->stopped = true;
  std::vector<std::shared_ptr<detail::TaskState>> tasks = s_->tasks;
  for (auto& t : tasks) {
    t->completeWith(std::make_exception_ptr(SchedulerStopped()), Failure(SchedulerStopped()));
  }
  s_->tasks.clear();
  s_->metarator = 0;
  if (s_->delayedCall) {
    DelayedCall c = *s_->delayedCall;
    s_->delayedCall.reset();
    c.cancel();
  }
}

bool Cooperator::running() const noexcept { return s_->started && !s_->stopped; }

}  // namespace weft::twisted
