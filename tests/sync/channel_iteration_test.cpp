// Channel: Concurrence's receive_n, iteration and send_exception, and close().

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sched/loop.hpp"
#include "sync/channel.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Channel;
using weft::ChannelClosed;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::contains;
using weft_test::near;
using weft_test::run;
using weft_test::since;

TEST_SUITE("sync") {

TEST_CASE("a range-for over a channel receives until it is closed") {
  run([] {
    Channel<int> ch;
    auto producer = Tasklet::spawn([&] {
      for (int i = 0; i < 5; ++i) ch.send(i);
      ch.close();
    });
    std::vector<int> got;
    for (int v : ch) got.push_back(v);
    CHECK(got == std::vector<int>{0, 1, 2, 3, 4});
    CHECK(ch.closed());
    producer.join();
    for (int v : ch) got.push_back(v);  // a closed channel: the loop does not run
    CHECK(got.size() == 5);
  });
}

TEST_CASE("close: sends throw, parked senders still hand over, then receivers get ChannelClosed") {
  run([] {
    Channel<std::string> ch;
    auto s1 = Tasklet::spawn([&] { ch.send("a"); });
    auto s2 = Tasklet::spawn([&] { ch.send("b"); });
    Tasklet::yield_();  // both park
    ch.close();
    ch.close();  // idempotent
    try {
      ch.send("c");
      FAIL("expected ChannelClosed");
    } catch (const ChannelClosed& e) {
      CHECK(std::string(e.what()) == "weft: Channel send failed: the channel is closed");
    }
    CHECK_THROWS_AS(ch.send_exception(std::runtime_error("x")), ChannelClosed);
    std::vector<std::string> got;
    for (std::string& v : ch) got.push_back(std::move(v));
    CHECK(got == std::vector<std::string>{"a", "b"});
    s1.join();
    s2.join();
    try {
      ch.receive(1.0);
      FAIL("expected ChannelClosed");
    } catch (const ChannelClosed& e) {
      CHECK(std::string(e.what()) == "weft: Channel receive failed: the channel is closed");
    }
  });
}

TEST_CASE("close wakes a parked receiver (ChannelClosed) and ends a parked range-for") {
  run([] {
    Channel<int> ch;
    bool closed_seen = false;
    auto r = Tasklet::spawn([&] {
      try {
        ch.receive();
      } catch (const ChannelClosed&) {
        closed_seen = true;
      }
    });
    std::vector<int> got;
    bool loop_ended = false;
    auto looper = Tasklet::spawn([&] {
      for (int v : ch) got.push_back(v);
      loop_ended = true;
    });
    Tasklet::yield_();  // both park
    CHECK(ch.balance() == -2);
    ch.send(7);  // to the first receiver: r
    Tasklet::later(0.05, [&] { ch.close(); });
    r.join();
    looper.join();
    CHECK_FALSE(closed_seen);  // r got 7
    CHECK(got.empty());
    CHECK(loop_ended);
    CHECK_FALSE(ch.has_receiver());
  });
}

TEST_CASE("receive_n takes at most n values, each when the loop asks, and stops at close") {
  run([] {
    Channel<int> ch;
    auto producer = Tasklet::spawn([&] {
      for (int i = 0; i < 5; ++i) ch.send(i);
      ch.close();
    });
    std::vector<int> got;
    for (int v : ch.receive_n(3)) got.push_back(v);
    CHECK(got == std::vector<int>{0, 1, 2});
    Tasklet::yield_();
    CHECK(ch.has_sender());  // the 4th value waits: it was not taken
    got.clear();
    for (int v : ch.receive_n(10)) got.push_back(v);  // only 2 left before close
    CHECK(got == std::vector<int>{3, 4});
    for (int v : ch.receive_n(0)) got.push_back(v);
    CHECK(got.size() == 2);
    producer.join();
  });
}

TEST_CASE("receive_n's timeout covers the whole batch") {
  run([] {
    Channel<int> ch;
    auto producer = Tasklet::spawn([&] {
      ch.send(1);
      Tasklet::sleep(0.06);
      ch.send(2);
      Tasklet::sleep(0.06);
      ch.send(3);
    });
    std::vector<int> got;
    auto start = weft::now();
    try {
      for (int v : ch.receive_n(3, 0.1)) got.push_back(v);
      FAIL("expected TimeoutError");
    } catch (const TimeoutError& e) {
      CHECK(contains(e.what(), "Channel receive timed out after 100 ms"));
    }
    CHECK(near(since(start), 0.1));
    CHECK(got == std::vector<int>{1, 2});
    producer.kill();
  });
}

TEST_CASE("send_exception: the receive that takes it throws it") {
  run([] {
    Channel<int> ch;
    auto sender = Tasklet::spawn([&] {
      ch.send(1);
      ch.send_exception(std::runtime_error("backend gone"));
      ch.send(2);
    });
    CHECK(ch.receive() == 1);
    CHECK_THROWS_WITH_AS(ch.receive(), "backend gone", std::runtime_error);
    CHECK(ch.receive() == 2);
    sender.join();
    CHECK_THROWS_AS(ch.send_exception(std::exception_ptr()), std::invalid_argument);

    // In a loop, it leaves the loop; values after it stay for the next receive.
    auto again = Tasklet::spawn([&] {
      ch.send(3);
      ch.send_exception(std::make_exception_ptr(std::logic_error("stop")));
      ch.send(4);
    });
    std::vector<int> got;
    CHECK_THROWS_WITH_AS(
        [&] {
          for (int v : ch) got.push_back(v);
        }(),
        "stop", std::logic_error);
    CHECK(got == std::vector<int>{3});
    CHECK(ch.receive() == 4);
    again.join();
  });
}

TEST_CASE("iteration moves move-only values out") {
  run([] {
    Channel<std::unique_ptr<int>> ch;
    auto producer = Tasklet::spawn([&] {
      for (int i = 0; i < 3; ++i) ch.send(std::make_unique<int>(i));
      ch.close();
    });
    int sum = 0;
    for (auto& p : ch) {
      std::unique_ptr<int> mine = std::move(p);
      sum += *mine;
    }
    CHECK(sum == 3);
    producer.join();
  });
}

}  // TEST_SUITE
