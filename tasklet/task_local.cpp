// Per-tasklet values. Each tasklet's values live in its record's extension
// slot (TaskletSlot::locals), keyed by the TaskLocal's LocalKey. A value holds
// a weak reference to its key, which keeps the key's address from being
// reused by another TaskLocal while the value exists, so a lookup by address
// can never find a value of another TaskLocal (of another type).

#include <stdexcept>
#include <utility>
#include <vector>

#include "sched/park.hpp"
#include "tasklet/detail/record.hpp"
#include "tasklet/task_local.hpp"

namespace weft::detail {

namespace {

struct TaskLocals final : TaskletExtension {
  struct Entry {
    const LocalKey* key;
    std::weak_ptr<LocalKey> alive;
    std::unique_ptr<LocalValueBase> value;
  };
  std::vector<Entry> entries;

  Entry* find(const LocalKey* key) noexcept {
    for (Entry& e : entries) {
      if (e.key == key) return &e;
    }
    return nullptr;
  }
};

std::unique_ptr<TaskletExtension>& slot_of(TaskletRecord& r) noexcept {
  return r.ext[static_cast<unsigned>(TaskletSlot::locals)];
}

TaskLocals* locals_of(TaskletRecord& r) noexcept {
  return static_cast<TaskLocals*>(slot_of(r).get());
}

TaskletRecord& current_record(const char* what) {
  return static_cast<TaskletRecord&>(current_fiber(what));
}

}  // namespace

LocalValueBase* find_local(const LocalKey* key, bool inherit) {
  TaskletRecord* r = &current_record("TaskLocal");
  while (r != nullptr) {
    if (TaskLocals* l = locals_of(*r)) {
      if (TaskLocals::Entry* e = l->find(key)) return e->value.get();
    }
    if (!inherit) break;
    r = r->parent;
  }
  return nullptr;
}

LocalValueBase& set_local(const std::shared_ptr<LocalKey>& key, std::unique_ptr<LocalValueBase> v) {
  TaskletRecord& r = current_record("TaskLocal::set()");
  auto& slot = slot_of(r);
  if (!slot) slot = std::make_unique<TaskLocals>();
  auto& locals = static_cast<TaskLocals&>(*slot);
  LocalValueBase& out = *v;
  // Values replaced or dropped here are destroyed on return, once the entries
  // are consistent again (a destructor may use TaskLocals itself).
  std::vector<std::unique_ptr<LocalValueBase>> doomed;
  if (TaskLocals::Entry* e = locals.find(key.get())) {
    doomed.push_back(std::exchange(e->value, std::move(v)));
  } else {
    // Drop the values of TaskLocals that no longer exist before growing.
    for (auto it = locals.entries.begin(); it != locals.entries.end();) {
      if (it->alive.expired()) {
        doomed.push_back(std::move(it->value));
        it = locals.entries.erase(it);
      } else {
        ++it;
      }
    }
    locals.entries.push_back({key.get(), key, std::move(v)});
  }
  return out;
}

bool erase_local(const LocalKey* key) {
  TaskletRecord& r = current_record("TaskLocal::reset()");
  TaskLocals* l = locals_of(r);
  if (l == nullptr) return false;
  for (auto it = l->entries.begin(); it != l->entries.end(); ++it) {
    if (it->key == key) {
      std::unique_ptr<LocalValueBase> doomed = std::move(it->value);
      l->entries.erase(it);
      return true;  // `doomed` is destroyed after the entry is gone
    }
  }
  return false;
}

void throw_no_local() {
  throw std::logic_error("weft: TaskLocal::value() in a tasklet that has no value (set() it first)");
}

}  // namespace weft::detail
