#include "tasklet/tasklet.hpp"

#include <algorithm>
#include <stdexcept>

#include "sched/extension.hpp"
#include "tasklet/detail/runtime.hpp"
#include "tasklet/join_error.hpp"
#include "tasklet/outcome.hpp"

namespace weft {

using detail::FiberState;
using detail::TaskletRecord;

// ---------------------------------------------------------------- handles

Tasklet::Tasklet(const Tasklet& o) noexcept : rec_(o.rec_) {
  if (rec_ != nullptr) ++rec_->refs;
}

Tasklet& Tasklet::operator=(const Tasklet& o) noexcept {
  Tasklet copy(o);
  std::swap(rec_, copy.rec_);
  return *this;
}

Tasklet& Tasklet::operator=(Tasklet&& o) noexcept {
  Tasklet moved(std::move(o));
  std::swap(rec_, moved.rec_);
  return *this;
}

Tasklet::~Tasklet() {
  if (rec_ != nullptr) detail::release_record(*rec_);
}

Tasklet Tasklet::from_record(TaskletRecord* r) noexcept {
  Tasklet t;
  t.rec_ = r;
  if (r != nullptr) ++r->refs;
  return t;
}

TaskletRecord& Tasklet::rec() const {
  if (rec_ == nullptr) throw std::logic_error("weft: use of an empty Tasklet handle");
  return *rec_;
}

// ---------------------------------------------------------------- the running tasklet

Tasklet Tasklet::current() {
  return from_record(static_cast<TaskletRecord*>(&current_fiber("Tasklet::current()")));
}

void Tasklet::sleep(Timeout t) {
  current_fiber("Tasklet::sleep()");
  if (t.kind() == Timeout::Kind::after && t.duration().count() <= 0) {
    yield_();
    return;
  }
  const Deadline d = Deadline::from(t);
  Wake w;
  do {
    w = park(d, WaitKind::sleep);
  } while (w == Wake::ready);  // nobody wakes a sleeper but its deadline or a kill
  if (w == Wake::killed) throw TaskletExit{};
  if (d.from_scope()) throw_timeout(d, "sleep");
}

bool detail::rest_sleep(Timeout t) {
  Fiber& self = current_fiber("Tasklet::sleep()");
  if (t.kind() == Timeout::Kind::after && t.duration().count() <= 0) {
    Tasklet::yield_();
    return false;
  }
  const Deadline d = Deadline::from(t);
  if (d.from_scope()) {  // the scope's deadline comes first: sleep throws at it
    Tasklet::sleep(t);
    return false;
  }
  const Wake w = detail::rest_on(*self.loop, self, d, WaitKind::sleep);
  if (w == Wake::killed) throw TaskletExit{};
  return w == Wake::none;
}

void Tasklet::yield_() {
  if (__builtin_expect(!detail::in_tasklet(), 0)) current_fiber("Tasklet::yield_()");
  if (__builtin_expect(detail::yield_turn() == Wake::killed, 0)) throw TaskletExit{};
}

// ---------------------------------------------------------------- joining

std::any Tasklet::join(const Tasklet& t, Timeout timeout) {
  TaskletRecord& r = t.rec();
  detail::join_wait(r, timeout);
  return detail::take_value<std::any>(r);
}

std::vector<Outcome<std::any>> Tasklet::join_all(const std::vector<Tasklet>& ts, Timeout timeout) {
  return detail::collect_outcomes<std::any>(ts, timeout);
}

// ---------------------------------------------------------------- inspecting

const std::string& Tasklet::name() const { return detail::name_of(rec()); }
std::uint64_t Tasklet::id() const { return rec().id; }
bool Tasklet::daemon() const { return rec().daemon; }

Tasklet Tasklet::parent() const { return from_record(rec().parent); }

std::vector<Tasklet> Tasklet::children() const {
  std::vector<Tasklet> out;
  for (TaskletRecord* c = rec().first_child; c != nullptr; c = c->next_sibling) {
    out.push_back(from_record(c));
  }
  return out;
}

std::vector<std::pair<Tasklet, int>> Tasklet::tree(int level) const {
  std::vector<std::pair<Tasklet, int>> out;
  // Iterative pre-order walk: trees can be deep.
  std::vector<std::pair<TaskletRecord*, int>> todo{{&rec(), level}};
  while (!todo.empty()) {
    auto [r, l] = todo.back();
    todo.pop_back();
    out.emplace_back(from_record(r), l);
    std::size_t mark = todo.size();
    for (TaskletRecord* c = r->first_child; c != nullptr; c = c->next_sibling) {
      todo.emplace_back(c, l + 1);
    }
    std::reverse(todo.begin() + static_cast<std::ptrdiff_t>(mark), todo.end());
  }
  return out;
}

bool Tasklet::has_finished() const { return rec().state == FiberState::finished; }
bool Tasklet::failed() const { return has_finished() && rec().error != nullptr; }
std::exception_ptr Tasklet::error() const { return rec().error; }
std::size_t Tasklet::stack_size() const {
  const detail::Stack& s = rec().stack;
  return s.base == nullptr ? 0 : s.usable();
}

// ---------------------------------------------------------------- acting

void Tasklet::kill() const {
  TaskletRecord& r = rec();
  if (r.state == FiberState::finished) return;
  if (r.loop != detail::current_loop()) {
    throw std::logic_error("weft: tasklet '" + detail::name_of(r) +
                           "' can only be killed from its own loop's thread");
  }
  detail::kill_fiber(r);
}

// ---------------------------------------------------------------- JoinError

namespace {

std::string join_message(std::string who, const std::exception_ptr& cause) {
  if (!cause) return who + " failed";
  try {
    std::rethrow_exception(cause);
  } catch (const TaskletExit&) {
    return who + " was killed";
  } catch (...) {
    return who + " failed: " + describe_current_exception();
  }
}

}  // namespace

JoinError::JoinError(const Tasklet& t, std::exception_ptr cause)
    : std::runtime_error(
          join_message(t ? "tasklet '" + t.name() + "'" : std::string("a tasklet"), cause)),
      rec_(t.record()),
      cause_(std::move(cause)) {
  if (rec_ != nullptr) ++rec_->refs;
}

JoinError::JoinError(std::string_view who, std::exception_ptr cause)
    : std::runtime_error(join_message(std::string(who), cause)),
      rec_(nullptr),
      cause_(std::move(cause)) {}

JoinError::JoinError(const JoinError& o) noexcept
    : std::runtime_error(o), rec_(o.rec_), cause_(o.cause_) {
  if (rec_ != nullptr) ++rec_->refs;
}

JoinError& JoinError::operator=(const JoinError& o) noexcept {
  if (this == &o) return *this;
  std::runtime_error::operator=(o);
  TaskletRecord* previous = rec_;
  rec_ = o.rec_;
  if (rec_ != nullptr) ++rec_->refs;
  cause_ = o.cause_;
  if (previous != nullptr) detail::release_record(*previous);
  return *this;
}

JoinError::~JoinError() {
  if (rec_ != nullptr) detail::release_record(*rec_);
}

Tasklet JoinError::tasklet() const noexcept { return Tasklet::from_record(rec_); }

bool JoinError::killed() const noexcept {
  if (!cause_) return false;
  try {
    std::rethrow_exception(cause_);
  } catch (const TaskletExit&) {
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace weft
