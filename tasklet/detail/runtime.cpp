#include "tasklet/detail/runtime.hpp"
#include "tasklet/tasklet.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "sched/errors.hpp"
#include "sched/log.hpp"
#include "tasklet/detail/overflow.hpp"
#include "tasklet/detail/tree.hpp"
#include "tasklet/join_error.hpp"

namespace weft::detail {

namespace {

void release_ref(TaskletRecord& r) noexcept {
  if (--r.refs == 0) delete &r;
}

TaskletRecord& record_of(Fiber& f) noexcept { return static_cast<TaskletRecord&>(f); }

// Everything that happens when a tasklet ends, whichever way: per-tasklet
// extensions go, children move to the grandparent, joiners wake.
void finish(TaskletRecord& r) noexcept {
  r.ending = true;  // a message destroyed below cannot send a new one to r
  for (auto& e : r.ext) e.reset();
  detach_from_tree(r);
  r.joiners.notify_all();
}

[[noreturn]] void entry(void* arg) noexcept {
  auto& r = *static_cast<TaskletRecord*>(arg);
  Loop& loop = *Loop::current();
  loop.after_switch();
  try {
    r.invoke();
  } catch (...) {
    r.error = std::current_exception();
  }
  try {
    r.drop_callable();
  } catch (...) {
    log(LogLevel::error, "the callable of tasklet '" + name_of(r) +
                             "' threw from its destructor: " + describe_current_exception());
  }
  finish(r);
  loop.exit_current();
}

bool hook_prepare(Fiber& f) noexcept {
  TaskletRecord& r = record_of(f);
  try {
    r.stack = runtime("a tasklet's first run").stacks.acquire(r.stack_request);
  } catch (...) {
    r.error = std::current_exception();
    log(LogLevel::error, "no stack for tasklet '" + name_of(r) + "': " +
                             describe_current_exception());
    r.drop_callable();
    finish(r);
    r.loop->finish_unstarted(r);
    release_ref(r);
    return false;
  }
  make_context(r.ctx, r.stack.base, r.stack.usable(), &entry, &r);
  r.canary = r.stack.canary;
  return true;
}

void hook_reap(Fiber& f) noexcept {
  TaskletRecord& r = record_of(f);
  if (r.stack.base != nullptr) {
    runtime("reap").stacks.release(r.stack);
    r.stack = Stack{};
    r.canary = nullptr;
  }
  release_ref(r);
}

void hook_finish_killed(Fiber& f) noexcept {
  TaskletRecord& r = record_of(f);
  r.error = std::make_exception_ptr(TaskletExit{});
  r.drop_callable();
  finish(r);
}

std::size_t hook_describe(const Fiber& f, char* buf, std::size_t n) noexcept {
  const auto& r = static_cast<const TaskletRecord&>(f);
  std::size_t used = 0;
  auto put = [&](const char* s, std::size_t len) {
    for (std::size_t i = 0; i < len && used + 1 < n; ++i) buf[used++] = s[i];
  };
  auto put_number = [&](unsigned long long v) {
    char digits[24];
    std::size_t k = 0;
    do {
      digits[k++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (k > 0 && used + 1 < n) buf[used++] = digits[--k];
  };
  put("tasklet '", 9);
  if (!r.name.empty()) {
    put(r.name.data(), r.name.size());
  } else {
    put("tasklet-", 8);
    put_number(r.id);
  }
  put("' (stack of ", 12);
  put_number(r.stack.usable() / 1024);
  put(" KiB; raise it with SpawnOptions::stack_size)", 45);
  if (used < n) buf[used] = '\0';
  return used;
}

// Empty record chunks kept for the next burst, and how many go per idle moment.
constexpr std::size_t kKeepRecordBytes = std::size_t{4} << 20;
constexpr std::size_t kTrimRecordChunks = 64;

bool hook_idle() noexcept {
  TaskletRuntime* rt = find_runtime();
  if (rt == nullptr) return false;
  bool more = rt->stacks.trim(1024);
  more |= rt->records.trim(kKeepRecordBytes, kTrimRecordChunks);
  return more;
}

constexpr LoopHooks kHooks{&hook_prepare, &hook_reap, &hook_finish_killed, &hook_describe,
                           &hook_idle};

std::string demangled(const std::type_info& t) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(t.name(), nullptr, nullptr, &status),
                                             std::free);
  return status == 0 && out ? std::string(out.get()) : std::string();
}

// A readable name for a callable type: named classes only (not lambdas,
// function pointers, std::function or binders).
std::string name_from_type(const std::type_info& t) {
  std::string n = demangled(t);
  static const std::string anonymous = "(anonymous namespace)::";
  for (auto at = n.find(anonymous); at != std::string::npos; at = n.find(anonymous)) {
    n.erase(at, anonymous.size());
  }
  if (n.empty() || n.find("lambda") != std::string::npos || n.find('(') != std::string::npos ||
      n.find('<') != std::string::npos || n.rfind("std::", 0) == 0) {
    return {};
  }
  return n;
}

}  // namespace

const LoopHooks& tasklet_hooks() noexcept { return kHooks; }

void install_runtime(Loop& loop, std::size_t default_stack) {
  loop.ext(ExtSlot::tasklet) = std::make_unique<TaskletRuntime>(default_stack);
  install_overflow_handler();
}

TaskletRuntime* find_runtime() noexcept {
  Loop* loop = Loop::current();
  if (loop == nullptr || !loop->ext(ExtSlot::tasklet)) return nullptr;
  return static_cast<TaskletRuntime*>(loop->ext(ExtSlot::tasklet).get());
}

TaskletRuntime& runtime(const char* what) {
  if (TaskletRuntime* rt = find_runtime()) return *rt;
  throw std::logic_error(std::string("weft: ") + what + " needs a running loop (dispatch())");
}

Tasklet start_tasklet(TaskletRecord* r, SpawnOptions&& options, const std::type_info& named_after) {
  std::unique_ptr<TaskletRecord> guard(r);
  TaskletRuntime& rt = runtime("spawn()");
  Loop& loop = *Loop::current();
  loop.reserve_fiber();
  r->loop = &loop;
  r->id = rt.next_id++;
  r->name = std::move(options.name);
  r->fn_type = &named_after;
  r->daemon = options.daemon;
  r->stack_request = options.stack_size;
  r->mailbox_limit = options.max_mailbox_len;
  if (!options.daemon && loop.in_tasklet()) {
    attach_child(static_cast<TaskletRecord&>(*loop.running()), *r);
  }
  r->refs = 1;  // the loop's, dropped when the tasklet has finished and been reaped
  loop.add_fiber(*guard.release());
  return Tasklet::from_record(r);
}

const std::string& name_of(TaskletRecord& r) {
  if (r.name.empty()) {
    if (r.fn_type != nullptr) r.name = name_from_type(*r.fn_type);
    if (r.name.empty()) r.name = "tasklet-" + std::to_string(r.id);
  }
  return r.name;
}

void JoinWait::wait(TaskletRecord& r) {
  if (r.state == FiberState::finished) return;
  Fiber& self = current_fiber("join");
  if (&self == &r) {
    throw std::logic_error("weft: tasklet '" + name_of(r) + "' cannot join itself");
  }
  if (r.loop != Loop::current()) {
    throw std::logic_error("weft: cannot join tasklet '" + name_of(r) + "' of another loop");
  }
  if (!resolved_) {
    deadline_ = Deadline::from(timeout_);
    resolved_ = true;
  }
  while (r.state != FiberState::finished) {
    Wake w = r.joiners.wait(deadline_);
    if (w != Wake::ready) check_wake(w, deadline_, "join of tasklet '" + name_of(r) + "'");
  }
}

void join_wait(TaskletRecord& r, Timeout t) {
  JoinWait(t).wait(r);
  if (r.error) throw make_join_error(r);
  r.observed = true;
}

JoinError make_join_error(TaskletRecord& r) {
  r.observed = true;
  return JoinError(Tasklet::from_record(&r), r.error);
}

void log_helper_failure(const char* helper) noexcept {
  try {
    std::string who = "?";
    Loop* loop = Loop::current();
    if (loop != nullptr && loop->in_tasklet()) who = name_of(record_of(*loop->running()));
    log(LogLevel::error, std::string("exception in Tasklet::") + helper + " '" + who +
                             "': " + describe_current_exception());
  } catch (...) {
  }
}

void throw_type_mismatch(TaskletRecord& r, const std::type_info& wanted) {
  throw std::logic_error("weft: tasklet '" + name_of(r) + "' returns " +
                         demangled(r.value_type()) + ", not " + demangled(wanted));
}

void throw_value_taken(TaskletRecord& r) {
  throw std::logic_error("weft: the move-only result of tasklet '" + name_of(r) +
                         "' was already moved out by an earlier join");
}

void* TaskletRecord::operator new(std::size_t size) {
  TaskletRuntime* rt = find_runtime();
  return rt == nullptr ? RecordPool::allocate_unpooled(size) : rt->records.allocate(size);
}

void TaskletRecord::operator delete(void* p) noexcept { RecordPool::deallocate(p); }

void* TaskletRecord::operator new(std::size_t size, std::align_val_t align) {
  return ::operator new(size, align);
}

void TaskletRecord::operator delete(void* p, std::align_val_t align) noexcept {
  ::operator delete(p, align);
}

TaskletRecord::~TaskletRecord() {
  // finish() has reset them already; should one be left, it goes while the
  // rest of the record (name, joiners) is still there.
  for (auto& e : ext) e.reset();
  if (!error || observed) return;
  try {
    try {
      std::rethrow_exception(error);
    } catch (const TaskletExit&) {
      // being killed is not a failure worth reporting
    } catch (...) {
      log(LogLevel::error, "tasklet '" + name_of(*this) + "' failed and was never joined: " +
                               describe_current_exception());
    }
  } catch (...) {  // out of memory while logging: nothing more to do
  }
}

}  // namespace weft::detail
