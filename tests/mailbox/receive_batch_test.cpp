// receive_batch: fills up to max, returns fewer after batch_timeout, returns
// at once when max are already pending.

#include <stdexcept>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "tests/support/weft_test.hpp"

using weft::Message;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

namespace {

std::vector<int> values(const std::vector<Message>& batch) {
  std::vector<int> out;
  for (const Message& m : batch) out.push_back(m.as<int>());
  return out;
}

// A tasklet that sends `me` the numbers from..to-1, `gap` seconds apart.
Tasklet drip(Tasklet me, int from, int to, double gap) {
  return Tasklet::spawn([me, from, to, gap] {
    for (int i = from; i < to; ++i) {
      Tasklet::sleep(gap);
      weft::send(me, i);
    }
  });
}

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("receive_batch returns at once when max are already pending, oldest first") {
  run_virtual([] {
    Tasklet me = Tasklet::current();
    for (int i = 0; i < 7; ++i) weft::send(me, i);
    auto start = weft::now();
    CHECK(values(weft::receive_batch(5, 10.0)) == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(since(start) < 0.01);
    CHECK(weft::mailbox_size(me) == 2);
    CHECK(values(weft::receive_batch(5, 0.0)) == std::vector<int>{5, 6});
  });
}

TEST_CASE("receive_batch waits to fill up to max") {
  run_virtual([] {
    auto feeder = drip(Tasklet::current(), 0, 4, 0.05);
    auto start = weft::now();
    CHECK(values(weft::receive_batch(4, 1.0)) == std::vector<int>{0, 1, 2, 3});
    CHECK(exact(since(start), 0.2));  // returned when the 4th came, not after 1 s
    Tasklet::join(feeder);
  });
}

TEST_CASE("receive_batch returns fewer after batch_timeout, counted from the first message") {
  run_virtual([] {
    auto feeder = drip(Tasklet::current(), 0, 3, 0.3);  // at 0.3, 0.6, 0.9
    auto start = weft::now();
    CHECK(values(weft::receive_batch(10, 0.4)) == std::vector<int>{0, 1});
    CHECK(exact(since(start), 0.7));  // first at 0.3, then 0.4 more
    Tasklet::join(feeder);
    CHECK(values(weft::receive_batch(10, 0.0)) == std::vector<int>{2});
  });
}

TEST_CASE("receive_batch's timeout bounds the wait for the first message") {
  run_virtual([] {
    auto start = weft::now();
    CHECK_THROWS_AS(weft::receive_batch(3, 1.0, 0.2), TimeoutError);
    CHECK(exact(since(start), 0.2));
  });
}

TEST_CASE("a deadline scope that ends during the batch wait throws and keeps the messages") {
  run_virtual([] {
    Tasklet me = Tasklet::current();
    weft::send(me, 1);
    {
      weft::DeadlineScope scope(0.2);
      CHECK_THROWS_AS(weft::receive_batch(3, 1.0), TimeoutError);
    }
    CHECK(weft::mailbox_size(me) == 1);
    CHECK_THROWS_AS(weft::receive_batch(0), std::invalid_argument);
  });
}

}  // TEST_SUITE
