// Deque and QueueChannel: Concurrence's testdeque behaviours (FIFO / LIFO
// order, a blocking pop waits for a later append, a pop with a timeout).

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sync/deque.hpp"
#include "sync/queue_channel.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Deque;
using weft::QueueChannel;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("sync") {

TEST_CASE("Deque: pops without blocking, FIFO from the front and LIFO from the back") {
  run_virtual([] {
    Deque<int> d;
    CHECK(d.empty());
    d.push_back(10);
    d.push_back(20);
    CHECK(d.size() == 2);
    CHECK(d.pop_front() == 10);
    CHECK(d.pop_front() == 20);
    d.push_back(10);
    d.push_back(20);
    CHECK(d.pop_back() == 20);
    CHECK(d.pop_back() == 10);
    d.push_front(1);
    d.push_front(2);
    CHECK(d.try_pop_front() == std::optional<int>(2));
    CHECK(d.try_pop_back() == std::optional<int>(1));
    CHECK_FALSE(d.try_pop_front());
    CHECK_FALSE(d.try_pop_back());
  });
}

TEST_CASE("Deque: a blocking pop waits for a later append") {
  run_virtual([] {
    Deque<int> d;
    Tasklet::later(1.0, [&] { d.push_back(20); });
    auto start = weft::now();
    CHECK(d.pop_back() == 20);
    CHECK(exact(since(start), 1.0));
  });
}

TEST_CASE("Deque: items appended earlier are popped at once") {
  run_virtual([] {
    Deque<int> d;
    Tasklet::later(0.5, [&] { d.push_back(10); });
    Tasklet::later(1.0, [&] { d.push_back(20); });
    Tasklet::sleep(1.5);
    auto start = weft::now();
    CHECK(d.pop_back() == 20);
    CHECK(d.pop_back() == 10);
    CHECK(since(start) < 0.05);
  });
}

TEST_CASE("Deque: a pop with timeout 2.0 on an empty deque throws TimeoutError after ~2 s") {
  run_virtual([] {
    Deque<int> d;
    auto start = weft::now();
    CHECK_THROWS_AS(d.pop_front(2.0), TimeoutError);
    CHECK(exact(since(start), 2.0));
    CHECK(d.waiting() == 0);
  });
}

TEST_CASE("Deque: each push wakes the oldest parked popper, in order") {
  run_virtual([] {
    Deque<std::string> d;
    std::vector<std::string> got;
    for (int i = 0; i < 2; ++i) Tasklet::spawn([&, i] { got.push_back(std::to_string(i) + d.pop_front()); });
    Tasklet::yield_();
    CHECK(d.waiting() == 2);
    Tasklet::spawn([&] { got.push_back("other"); });
    d.push_back("a");
    d.push_back("b");
    Tasklet::yield_();
    CHECK(got == std::vector<std::string>{"other", "0a", "1b"});
  });
}

TEST_CASE("Deque: a popper woken for an item that another pop took first keeps its turn") {
  run_virtual([] {
    Deque<int> d;
    int got1 = 0, got2 = 0;
    auto p1 = Tasklet::spawn([&] { got1 = d.pop_front(); });
    auto p2 = Tasklet::spawn([&] { got2 = d.pop_front(); });
    Tasklet::yield_();  // both park, p1 first
    REQUIRE(d.waiting() == 2);
    d.push_back(1);                     // wakes p1...
    CHECK(d.try_pop_front() == 1);      // ...but this tasklet takes the item first
    Tasklet::yield_();                  // p1 finds none and waits again, ahead of p2
    CHECK(d.waiting() == 2);
    d.push_back(2);
    d.push_back(3);
    Tasklet::join_all({p1, p2}, 1.0);
    CHECK(got1 == 2);
    CHECK(got2 == 3);
  });
}

TEST_CASE("QueueChannel: a sender woken for room that another send took first keeps its turn") {
  run_virtual([] {
    QueueChannel<int> q(1);
    q.send(0);
    auto s1 = Tasklet::spawn([&] { q.send(1); });
    auto s2 = Tasklet::spawn([&] { q.send(2); });
    Tasklet::yield_();                  // both park, s1 first
    CHECK(q.receive() == 0);            // wakes s1...
    CHECK(q.try_send(99));              // ...but this tasklet takes the room first
    Tasklet::yield_();                  // s1 finds it full and waits again, ahead of s2
    std::vector<int> got;
    for (int i = 0; i < 3; ++i) got.push_back(q.receive(1.0));
    Tasklet::join_all({s1, s2}, 1.0);
    CHECK(got == std::vector<int>{99, 1, 2});
  });
}

TEST_CASE("QueueChannel: send queues, receive waits, FIFO order") {
  run_virtual([] {
    QueueChannel<int> q;
    CHECK(q.capacity() == 0);
    q.send(1);
    q.send(2);
    CHECK(q.size() == 2);
    CHECK(q.receive() == 1);
    CHECK(q.try_receive() == std::optional<int>(2));
    CHECK_FALSE(q.try_receive());
    CHECK_FALSE(q.has_receiver());
    auto r = Tasklet::spawn([&] { return q.receive(); });
    Tasklet::yield_();
    CHECK(q.has_receiver());
    CHECK(q.try_send(3));
    CHECK(r.join() == 3);
    auto start = weft::now();
    CHECK_THROWS_AS(q.receive(0.2), TimeoutError);
    CHECK(exact(since(start), 0.2));
  });
}

TEST_CASE("QueueChannel: with a capacity, send parks while full (timeout applies)") {
  run_virtual([] {
    QueueChannel<int> q(2);
    CHECK(q.capacity() == 2);
    q.send(1);
    CHECK(q.try_send(2));
    CHECK(q.full());
    CHECK_FALSE(q.try_send(3));
    auto start = weft::now();
    CHECK_THROWS_AS(q.send(3, 0.2), TimeoutError);
    CHECK(exact(since(start), 0.2));
    auto s = Tasklet::spawn([&] { q.send(3); });
    Tasklet::yield_();
    CHECK(q.has_sender());
    CHECK(q.receive() == 1);
    s.join();
    CHECK_FALSE(q.has_sender());
    CHECK(q.receive() == 2);
    CHECK(q.receive() == 3);
  });
}

}  // TEST_SUITE
