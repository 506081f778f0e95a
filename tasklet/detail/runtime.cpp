#include "tasklet/detail/runtime.hpp"

#include <unistd.h>

#include <array>
#include <cassert>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <new>
#include <stdexcept>
#include <utility>

#include "sched/errors.hpp"
#include "sched/log.hpp"
#include "tasklet/detail/dump_lines.hpp"
#include "tasklet/detail/record_pool.hpp"
#include "tasklet/detail/tree.hpp"
#include "tasklet/extension.hpp"
#include "tasklet/join_error.hpp"
#include "tasklet/tasklet.hpp"

namespace weft::detail {

static_assert(static_cast<unsigned>(TaskletSlot::count) == 2,
              "finish and TaskletRecord::holds_nothing test each extension slot");

namespace {

// This layer's per-loop state.
struct TaskletRuntime final : LoopExtension {
  RecordPool records;
  std::uint64_t next_id = 1;
  // Records of finished tasklets kept constructed, per size class of their
  // block, for the next spawns of that class (linked through live_next; see
  // keep_spare): a spawn then writes a few fields instead of constructing a
  // record, and a release frees no block. At most kMaxSpares; all of them are
  // freed when the loop idles (before the pool trims) and with the runtime.
  std::array<TaskletRecord*, RecordPool::kClasses> spare{};
  std::size_t spares = 0;
  static constexpr std::size_t kMaxSpares = 4096;

  TaskletRuntime() = default;
  TaskletRuntime(const TaskletRuntime&) = delete;
  TaskletRuntime& operator=(const TaskletRuntime&) = delete;
  ~TaskletRuntime() override { free_spares(); }
  void free_spares() noexcept;

  void add_stats(LoopStats& s) const noexcept override {
    s.live_records = records.live() - spares;
    s.record_bytes = records.mapped_bytes();
  }
};

TaskletRuntime* find_runtime() noexcept { return find_loop_slot<TaskletRuntime>(ExtSlot::tasklet); }

TaskletRuntime& runtime(const char* what) { return loop_slot<TaskletRuntime>(ExtSlot::tasklet, what); }

TaskletRecord& record_of(Fiber& f) noexcept { return static_cast<TaskletRecord&>(f); }

// Everything that happens when a tasklet ends, whichever way: per-tasklet
// extensions go, children move to the grandparent, joiners wake.
void finish(TaskletRecord& r) noexcept {
  r.ending = true;  // a message destroyed below cannot send a new one to r
  // (Most tasklets have no extension slot: one test, no store.)
  if (__builtin_expect((reinterpret_cast<std::uintptr_t>(r.ext[0].get()) |
                        reinterpret_cast<std::uintptr_t>(r.ext[1].get())) != 0, 0)) {
    for (auto& e : r.ext) e.reset();
  }
  detach_from_tree(r);
  if (__builtin_expect(r.is_main, 0)) main_finished();
  // The first joiner runs next (see run_next); any others in queue order.
  r.joiners.notify_all(true);
  // What its release will find, tested now while these lines are in the
  // cache: nothing of it changes once it has finished but its name (name_of).
  if (__builtin_expect(!r.holds_nothing(), 0)) r.spare_class = TaskletRecord::kNoSpare;
}

void hook_run(Fiber& f) noexcept {
  TaskletRecord& r = record_of(f);
  try {
    r.body->invoke();
  } catch (...) {
    f.resting = false;
    r.error = std::current_exception();
  }
  if (f.resting) return;  // it runs again when woken (rest_on): not finished
  try {
    r.body->drop_callable();
  } catch (...) {
    log(LogLevel::error, "the callable of tasklet '" + name_of(r) +
                             "' threw from its destructor: " + describe_current_exception());
  }
  finish(r);
}

void hook_release(Fiber& f) noexcept { release_record(record_of(f)); }

void hook_finish_unrun(Fiber& f, std::exception_ptr why) noexcept {
  TaskletRecord& r = record_of(f);
  r.error = std::move(why);
  r.body->drop_callable();
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
  put("'", 1);
  if (r.stack.base != nullptr) {  // an overflow: say how large the stack was
    put(" (stack of ", 11);
    put_number(r.stack.usable() / 1024);
    put(" KiB; raise it with SpawnOptions::stack_size)", 45);
  }
  if (used < n) buf[used] = '\0';
  return used;
}

// Empty record chunks kept for the next burst, and how many go per idle moment.
constexpr std::size_t kKeepRecordBytes = std::size_t{4} << 20;
constexpr std::size_t kTrimRecordChunks = 64;

bool hook_idle() noexcept {
  TaskletRuntime* rt = find_runtime();
  if (rt == nullptr) return false;
  rt->free_spares();
  return rt->records.trim(kKeepRecordBytes, kTrimRecordChunks);
}

// Tasklets listed in a report (the dump itself lists up to DumpOptions::limit).
constexpr std::size_t kReportList = 20;

void hook_report(Report why, int arg) noexcept {
  try {
    switch (why) {
      case Report::sigquit: {
        std::ostringstream out;
        DumpOptions options;
        options.backtraces = true;
        write_dump(out, options);
        const std::string text = out.str();
        ssize_t ignored = write_without_sigpipe(STDERR_FILENO, text.data(), text.size());
        (void)ignored;
        return;
      }
      case Report::deadlock:
        log(LogLevel::warning,
            "deadlock: dispatch() cannot end: its non-daemon tasklets are parked and nothing "
            "can wake them (no timer, fd, signal, worker thread or other thread can reach "
            "them):\n" + tasklet_list(true, kReportList));
        return;
      case Report::main_returned:
        log(LogLevel::debug, "main has returned; dispatch() goes on while these run:\n" +
                                 tasklet_list(true, kReportList));
        return;
      case Report::main_lingers:
        log(LogLevel::info, "main returned a while ago and dispatch() still goes on for:\n" +
                                tasklet_list(true, kReportList));
        return;
      case Report::quit_signal:
        log(LogLevel::warning, std::string(arg == SIGINT ? "SIGINT" : arg == SIGTERM ? "SIGTERM"
                                                                                     : "a signal") +
                                   " ends dispatch() after main returned; these were still "
                                   "alive and are unwound now:\n" +
                                   tasklet_list(true, kReportList));
        return;
    }
  } catch (...) {  // out of memory while reporting: nothing more to do
  }
}

constexpr LoopHooks kHooks{&hook_run, &hook_finish_unrun, &hook_release, &hook_describe,
                           &hook_idle, &hook_report};

// A readable name for a callable type: named classes only (not lambdas,
// function pointers, std::function or binders).
std::string name_from_type(const std::type_info& t) {
  std::string n = demangle(t);
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

// Where a record's body starts: right after the record, aligned for the body.
std::size_t body_offset(std::size_t body_align) noexcept {
  return (sizeof(TaskletRecord) + body_align - 1) / body_align * body_align;
}

}  // namespace

const LoopHooks& tasklet_hooks() noexcept { return kHooks; }

namespace {

// The loop's first spawn makes the runtime (or throws outside dispatch()).
[[gnu::cold, gnu::noinline]] TaskletRuntime& first_runtime() { return runtime("spawn()"); }

// allocate_tasklet without a spare: a new record in a new block. Out of line,
// so that taking a spare saves no registers.
[[gnu::noinline]] NewTasklet new_record(TaskletRuntime& rt, std::size_t size, std::size_t align,
                                        unsigned cls) {
  const bool over_aligned = align > alignof(std::max_align_t);
  void* block = over_aligned ? ::operator new(size, std::align_val_t(align))
                             : rt.records.allocate(size);
  auto* r = new (block) TaskletRecord;  // default-init: the members initialise themselves (no zeroing first)
  if (over_aligned) r->block_align_log2 = static_cast<std::uint8_t>(__builtin_ctzl(align));
  if (cls < RecordPool::kClasses) r->spare_class = static_cast<std::uint8_t>(cls);
  r->id = rt.next_id++;
  return {r, static_cast<char*>(block) + body_offset(align)};
}

}  // namespace

NewTasklet allocate_tasklet(std::size_t body_size, std::size_t body_align) {
  TaskletRuntime* found = find_runtime();
  TaskletRuntime& rt = __builtin_expect(found != nullptr, 1) ? *found : first_runtime();
  const bool over_aligned = body_align > alignof(std::max_align_t);
  const std::size_t align = over_aligned ? body_align : alignof(std::max_align_t);
  const std::size_t size = body_offset(align) + body_size;
  const unsigned cls = over_aligned ? unsigned{RecordPool::kClasses} : RecordPool::size_class(size);
  if (cls < RecordPool::kClasses) {
    if (TaskletRecord* r = rt.spare[cls]) {  // constructed already (see keep_spare)
      rt.spare[cls] = static_cast<TaskletRecord*>(r->live_next);
      --rt.spares;
      r->reset_for_reuse();
      r->id = rt.next_id++;
      return {r, reinterpret_cast<char*>(r) + body_offset(align)};
    }
  }
  return new_record(rt, size, align, cls);
}

namespace {

// release_record's end of a record that holds more than its body (an
// extension slot, a name, an error, a waiter, an aligned block): out of line.
[[gnu::noinline]] void destroy_record(TaskletRecord& r) noexcept {
  const unsigned align_log2 = r.block_align_log2;
  void* block = &r;
  r.~TaskletRecord();
  if (align_log2 != 0) {
    ::operator delete(block, std::align_val_t(std::size_t{1} << align_log2));
  } else {
    RecordPool::deallocate(block);
  }
}

// A finished record of this loop that holds_nothing() becomes a spare (its
// fields are put back when it is taken: record.hpp, reset_for_reuse); a
// spare's body pointer is stale until start_tasklet sets it.
void keep_spare(TaskletRuntime& rt, TaskletRecord& r) noexcept {
  assert(r.killer == nullptr && !r.timer.armed() && r.holds_nothing());
  r.live_next = rt.spare[r.spare_class];
  rt.spare[r.spare_class] = &r;
  ++rt.spares;
}

}  // namespace

void TaskletRuntime::free_spares() noexcept {
  if (spares == 0) return;
  for (TaskletRecord*& head : spare) {
    while (TaskletRecord* r = head) {
      head = static_cast<TaskletRecord*>(r->live_next);
      r->live_next = nullptr;
      r->body = nullptr;  // (it went when the record became a spare)
      r->~TaskletRecord();
      RecordPool::deallocate(r);
    }
  }
  spares = 0;
}

void discard_tasklet(TaskletRecord* r) noexcept {
  r->body = nullptr;  // (none was made; a spare's is stale)
  destroy_record(*r);
}

// The last reference goes after the tasklet has finished (the loop holds one
// until then), so finish() has told, in spare_class, whether the record holds
// nothing but its body: most releases read only the lines of refs and loop.
void release_record(TaskletRecord& r) noexcept {
  if (--r.refs != 0) return;
  if (__builtin_expect(r.spare_class == TaskletRecord::kNoSpare && !r.holds_nothing(), 0)) {
    destroy_record(r);
    return;
  }
  r.body->~TaskletBody();
  TaskletRuntime* rt = find_runtime();
  if (rt != nullptr && r.loop == current_loop() && r.spare_class < RecordPool::kClasses &&
      rt->spares < TaskletRuntime::kMaxSpares) {
    keep_spare(*rt, r);
    return;
  }
  RecordPool::deallocate(&r);
}

Tasklet start_tasklet(TaskletRecord* r, TaskletBody* body, SpawnOptions* options,
                      const std::type_info& named_after) {
  r->body = body;
  r->refs = 1;  // the loop's, dropped when the tasklet has finished and been released
  r->fn_type = &named_after;
  if (options != nullptr) {  // (the record's own defaults are SpawnOptions')
    if (!options->name.empty()) r->name = std::move(options->name);
    r->daemon = options->daemon;
    r->stack_request = options->stack_size;
    r->mailbox_limit = options->max_mailbox_len;
  }
  try {
    add_fiber(*r);
  } catch (...) {
    destroy_record(*r);  // (never started: finish() did not judge it)
    throw;
  }
  if (!r->daemon) {
    if (Fiber* spawner = running_tasklet()) attach_child(record_of(*spawner), *r);
  }
  return Tasklet::from_record(r);
}

const std::string& name_of(TaskletRecord& r) {
  if (r.name.empty()) {
    if (r.fn_type != nullptr) r.name = name_from_type(*r.fn_type);
    if (r.name.empty()) r.name = "tasklet-" + std::to_string(r.id);
    r.spare_class = TaskletRecord::kNoSpare;  // it holds a name now (see release_record)
  }
  return r.name;
}

namespace {

// The running tasklet, which may join unfinished r (not itself, not one of
// another loop). Throws std::logic_error otherwise (and outside a tasklet).
Fiber& joiner_of(TaskletRecord& r) {
  Fiber* running = running_tasklet();  // inline: a depth-first join parks once per child
  Fiber& self = running != nullptr ? *running : current_fiber("join");  // (which throws)
  if (&self == &r) {
    throw std::logic_error("weft: tasklet '" + name_of(r) + "' cannot join itself");
  }
  if (r.loop != self.loop) {  // (self is a tasklet of the current loop)
    throw std::logic_error("weft: cannot join tasklet '" + name_of(r) + "' of another loop");
  }
  return self;
}

// Parks the joiner until unfinished r has finished (r runs next if it has not started).
void wait_for_end(TaskletRecord& r, const Deadline& d) {
  run_next(*r.loop, r);
  while (r.state != FiberState::finished) {
    const Wake w = r.joiners.wait(d, WaitKind::join, &r);
    if (w != Wake::ready) check_wake(w, d, "join of tasklet '" + name_of(r) + "'");
  }
}

}  // namespace

void JoinWait::wait(TaskletRecord& r) {
  if (r.state == FiberState::finished) return;
  Fiber& self = joiner_of(r);
  if (!resolved_) {
    deadline_ = deadline_for(timeout_, self);
    resolved_ = true;
  }
  wait_for_end(r, deadline_);
}

// One record: its deadline at once (JoinWait resolves it on first need, for join_all).
void join_wait(TaskletRecord& r, Timeout t) {
  if (r.state != FiberState::finished) wait_for_end(r, deadline_for(t, joiner_of(r)));
  if (r.error) throw make_join_error(r);
  r.observed = true;
}

void join_all_wait(TaskletRecord* const* rs, std::size_t n, Timeout t) {
  JoinWait waiter(t);
  for (std::size_t i = 0; i < n; ++i) waiter.wait(*rs[i]);
}

TaskletBody& body_of(TaskletRecord& r) noexcept { return *r.body; }

bool take_failure(TaskletRecord& r) noexcept {
  if (r.error) return true;
  r.observed = true;
  return false;
}

JoinError make_join_error(TaskletRecord& r) {
  r.observed = true;
  return JoinError(Tasklet::from_record(&r), r.error);
}

void log_helper_failure(const char* helper) noexcept {
  try {
    std::string who = "?";
    if (Fiber* self = running_tasklet()) who = name_of(record_of(*self));
    log(LogLevel::error, std::string("exception in Tasklet::") + helper + " '" + who +
                             "': " + describe_current_exception());
  } catch (...) {
  }
}

void throw_type_mismatch(TaskletRecord& r, const std::type_info& wanted) {
  throw std::logic_error("weft: tasklet '" + name_of(r) + "' returns " +
                         demangle(r.body->value_type()) + ", not " + demangle(wanted));
}

void throw_value_taken(TaskletRecord& r) {
  throw std::logic_error("weft: the move-only result of tasklet '" + name_of(r) +
                         "' was already moved out by an earlier join");
}

namespace {

// ~TaskletRecord's report of a failure nobody observed, out of line (rare).
[[gnu::cold, gnu::noinline]] void report_unjoined_failure(TaskletRecord& r) noexcept {
  try {
    try {
      std::rethrow_exception(r.error);
    } catch (const TaskletExit&) {
      // being killed is not a failure worth reporting
    } catch (...) {
      log(LogLevel::error, "tasklet '" + name_of(r) + "' failed and was never joined: " +
                               describe_current_exception());
    }
  } catch (...) {  // out of memory while logging: nothing more to do
  }
}

}  // namespace

TaskletRecord::~TaskletRecord() {
  // finish() has reset them already; should one be left, it goes while the
  // rest of the record (name, joiners) is still there.
  for (auto& e : ext) {
    if (e) e.reset();
  }
  if (body != nullptr) body->~TaskletBody();
  if (error && !observed) report_unjoined_failure(*this);
}

}  // namespace weft::detail
