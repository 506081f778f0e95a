#include <vector>

#include "sched/detail/timer_heap.hpp"
#include "tests/support/weft_test.hpp"

using weft::detail::TimerHeap;
using weft::detail::TimerNode;

TEST_SUITE("sched") {

TEST_CASE("the deadline heap pops in (deadline, arming order) order and removes from anywhere") {
  TimerHeap heap;
  std::vector<TimerNode> nodes(100);
  for (int i = 0; i < 100; ++i) heap.arm(nodes[i], (i * 37) % 10);  // many equal deadlines
  heap.disarm(nodes[50]);
  heap.disarm(nodes[0]);
  heap.disarm(nodes[0]);  // disarming twice is harmless
  CHECK_FALSE(nodes[50].armed());
  CHECK(heap.size() == 98);
  std::int64_t last_deadline = -1;
  std::uint64_t last_seq = 0;
  while (TimerNode* n = heap.pop_expired(100)) {
    CHECK(n->deadline >= last_deadline);
    if (n->deadline == last_deadline) CHECK(n->seq > last_seq);
    last_deadline = n->deadline;
    last_seq = n->seq;
    CHECK_FALSE(n->armed());
  }
  CHECK(heap.empty());
}

TEST_CASE("pop_expired honours the time and the sequence limit; re-arming moves a node") {
  TimerHeap heap;
  TimerNode a, b;
  heap.arm(a, 10);
  heap.arm(b, 20);
  CHECK(heap.top() == &a);
  CHECK(heap.pop_expired(5) == nullptr);
  heap.arm(a, 30);  // re-arm: later now
  CHECK(heap.top() == &b);
  CHECK(heap.pop_expired(25, b.seq) == nullptr);  // armed at or after the limit
  CHECK(heap.pop_expired(25) == &b);
  CHECK(heap.size() == 1);
  CHECK(heap.next_seq() > a.seq);
}

}
