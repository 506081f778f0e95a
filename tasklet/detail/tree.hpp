#pragma once
// The tasklet tree: intrusive parent/children links on the records.

#include "weft/tasklet/detail/record.hpp"

namespace weft::detail {

// Appends `child` to `parent`'s children.
inline void attach_child(TaskletRecord& parent, TaskletRecord& child) noexcept {
  child.parent = &parent;
  child.next_sibling = nullptr;
  child.prev_sibling = parent.last_child;
  if (parent.last_child != nullptr) {
    parent.last_child->next_sibling = &child;
  } else {
    parent.first_child = &child;
  }
  parent.last_child = &child;
}

// Removes `child` from its parent's children (it becomes a root).
inline void unlink_child(TaskletRecord& child) noexcept {
  TaskletRecord* p = child.parent;
  if (p == nullptr) return;
  if (child.prev_sibling != nullptr) {
    child.prev_sibling->next_sibling = child.next_sibling;
  } else {
    p->first_child = child.next_sibling;
  }
  if (child.next_sibling != nullptr) {
    child.next_sibling->prev_sibling = child.prev_sibling;
  } else {
    p->last_child = child.prev_sibling;
  }
  child.parent = child.next_sibling = child.prev_sibling = nullptr;
}

// A finishing tasklet leaves the tree: its live children move to its parent
// (or become roots), and it leaves its parent's children.
// (Most tasklets end without children: one test.)
inline void detach_from_tree(TaskletRecord& r) noexcept {
  if (__builtin_expect(r.first_child != nullptr, 0)) {
    TaskletRecord* grandparent = r.parent;
    while (TaskletRecord* c = r.first_child) {
      unlink_child(*c);
      if (grandparent != nullptr) attach_child(*grandparent, *c);
    }
  }
  unlink_child(r);
}

}  // namespace weft::detail
