#include "tasklet/dump.hpp"

#include <unistd.h>

#include <cstdint>
#include <map>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "sched/extension.hpp"
#include "tasklet/detail/dump_lines.hpp"
#include "tasklet/detail/record.hpp"
#include "tasklet/extension.hpp"

namespace weft {

namespace detail {

namespace {

TaskletRecord& record_of(Fiber& f) noexcept { return static_cast<TaskletRecord&>(f); }

std::string duration(std::int64_t ns) {
  if (ns < 0) ns = 0;
  if (ns < 10'000'000'000) return std::to_string(ns / 1'000'000) + " ms";
  return std::to_string(ns / 1'000'000'000) + " s";
}

const char* state_name(const Fiber& f) noexcept {
  switch (f.state) {
    case FiberState::created: return "created";
    case FiberState::runnable: return "runnable";
    case FiberState::running: return "running";
    case FiberState::parked: return "parked";
    case FiberState::finished: return "finished";
  }
  return "?";
}

bool takes_tasklet(WaitKind k) noexcept {
  return k == WaitKind::join || k == WaitKind::call || k == WaitKind::send;
}

bool takes_number(WaitKind k) noexcept {
  return k == WaitKind::fd_read || k == WaitKind::fd_write || k == WaitKind::fd_io ||
         k == WaitKind::signal;
}

}  // namespace

std::string tasklet_label(TaskletRecord& r) {
  std::string s = "#";
  s += std::to_string(r.id);
  s += " '";
  s += name_of(r);
  s += '\'';
  return s;
}

std::string describe_wait(TaskletRecord& r) {
  std::string s = wait_kind_name(r.wait_kind);
  if (r.resting && r.wait_kind == WaitKind::sleep) s = "sleep";
  const void* on = r.wait_on;
  if (takes_tasklet(r.wait_kind) && on != nullptr) {
    s += ' ';
    s += tasklet_label(*static_cast<TaskletRecord*>(const_cast<void*>(on)));
  } else if (takes_number(r.wait_kind)) {
    s += ' ';
    s += std::to_string(static_cast<long long>(reinterpret_cast<std::intptr_t>(on)));
  } else if (on != nullptr) {
    std::ostringstream addr;
    addr << on;
    s += ' ';
    s += addr.str();
  }
  return s;
}

std::string tasklet_line(TaskletRecord& r, bool backtraces) {
  std::string line = tasklet_label(r) + " " + state_name(r);
  if (r.state == FiberState::parked) line += ": " + describe_wait(r);
  if (r.daemon) line += " (daemon)";
  if (r.state == FiberState::parked) {
    line += "; for " + duration(parked_for_ns(r));
    if (r.park_deadline == kNever) {
      line += "; no deadline";
    } else {
      line += "; deadline in " + duration(r.park_deadline - clock_ns());
    }
  }
  if (const TaskletExtension* box = r.ext[static_cast<unsigned>(TaskletSlot::mailbox)].get()) {
    line += "; mailbox " + std::to_string(box->pending());
  }
  const StackUse u = stack_use(r);
  if (u.reserve == 0) {
    line += r.resting ? "; no stack (resting)" : "; no stack";
  } else {
    line += "; stack " + std::to_string((u.used + 1023) / 1024) + " KiB of " +
            std::to_string(u.reserve / 1024) + " KiB, " + std::to_string(u.touched / 1024) +
            " KiB touched";
  }
  line += '\n';
  if (backtraces && r.state != FiberState::created &&
      (r.state == FiberState::parked || r.state == FiberState::running ||
       r.state == FiberState::runnable)) {
    line += backtrace_of(r, "    ");
  }
  return line;
}

std::string summary_line(std::size_t& total) {
  std::size_t running = 0, runnable = 0, created = 0, parked = 0;
  std::map<std::string, std::size_t> kinds;
  std::vector<std::string> order;
  total = 0;
  for (Fiber* f = first_live_fiber(); f != nullptr; f = f->live_next) {
    ++total;
    switch (f->state) {
      case FiberState::running: ++running; break;
      case FiberState::runnable: ++runnable; break;
      case FiberState::created: ++created; break;
      case FiberState::parked: {
        ++parked;
        const std::string k = wait_kind_name(f->wait_kind);
        if (kinds[k]++ == 0) order.push_back(k);
        break;
      }
      case FiberState::finished: break;
    }
  }
  std::string s = "weft dump: " + std::to_string(total) + " tasklets: " +
                  std::to_string(running) + " running, " + std::to_string(runnable) +
                  " runnable, " + std::to_string(created) + " not started, " +
                  std::to_string(parked) + " parked";
  if (!order.empty()) {
    s += " (";
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (i != 0) s += ", ";
      s += std::to_string(kinds[order[i]]) + " " + order[i];
    }
    s += ")";
  }
  return s + "\n";
}

void write_dump(std::ostream& out, const DumpOptions& options) {
  std::size_t total = 0;
  out << summary_line(total);
  std::size_t listed = 0;
  // Pre-order over the tree: roots are the live tasklets without a parent
  // (main, daemons, those whose parents finished first), in spawn order.
  struct Item {
    TaskletRecord* r;
    int level;
  };
  std::vector<Item> stack;
  std::vector<TaskletRecord*> roots;
  for (Fiber* f = first_live_fiber(); f != nullptr; f = f->live_next) {
    if (!f->is_tasklet) continue;
    TaskletRecord& r = record_of(*f);
    if (r.parent == nullptr) roots.push_back(&r);
  }
  for (auto it = roots.rbegin(); it != roots.rend(); ++it) stack.push_back({*it, 0});
  while (!stack.empty()) {
    const Item item = stack.back();
    stack.pop_back();
    if (listed == options.limit) {
      out << "... and " << (total - listed) << " more\n";
      return;
    }
    ++listed;
    out << std::string(static_cast<std::size_t>(item.level) * 2, ' ')
        << tasklet_line(*item.r, options.backtraces);
    std::vector<TaskletRecord*> kids;
    for (TaskletRecord* c = item.r->first_child; c != nullptr; c = c->next_sibling) kids.push_back(c);
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back({*it, item.level + 1});
  }
}

std::string tasklet_list(bool nondaemon_only, std::size_t limit) {
  std::string out;
  std::size_t listed = 0, left = 0;
  for (Fiber* f = first_live_fiber(); f != nullptr; f = f->live_next) {
    if (!f->is_tasklet || (nondaemon_only && f->daemon)) continue;
    TaskletRecord& r = record_of(*f);
    if (r.gone()) continue;
    if (listed == limit) {
      ++left;
      continue;
    }
    ++listed;
    out += "  " + tasklet_line(r, false);
  }
  if (left != 0) out += "  ... and " + std::to_string(left) + " more\n";
  return out;
}

}  // namespace detail

void dump(std::ostream& out, const DumpOptions& options) {
  detail::require_loop("dump()");
  detail::write_dump(out, options);
}

std::string dump_string(const DumpOptions& options) {
  std::ostringstream out;
  dump(out, options);
  return out.str();
}

}  // namespace weft
