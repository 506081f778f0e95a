#pragma once
// Shared by the mailbox tests: a payload that counts its live instances, so a
// test can check that no message was lost or leaked.

#include <utility>

namespace mailbox_test {

struct Counted {
  static inline int live = 0;
  int value = 0;
  explicit Counted(int v) : value(v) { ++live; }
  Counted(const Counted& o) : value(o.value) { ++live; }
  Counted(Counted&& o) noexcept : value(o.value) { ++live; }
  Counted& operator=(const Counted&) = default;
  ~Counted() { --live; }
};

}  // namespace mailbox_test
