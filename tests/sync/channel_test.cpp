// Channel: Concurrence's "Channel" behaviours (rendezvous, timeouts,
// has_sender / has_receiver) and Stackless's preference.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "sched/loop.hpp"
#include "sync/channel.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Channel;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

TEST_SUITE("sync") {

TEST_CASE("a looping receiver gets three sends in order") {
  run_virtual([] {
    Channel<int> ch;
    std::vector<int> received;
    auto sender = Tasklet::spawn([&] {
      for (int i = 0; i < 3; ++i) ch.send(i);
    });
    auto receiver = Tasklet::spawn([&] {
      for (;;) received.push_back(ch.receive());
    });
    sender.join();
    CHECK(received == std::vector<int>{0, 1, 2});
    receiver.kill();
  });
}

TEST_CASE("receive(2.0) gets a value sent after 1 s; receive(1.0) with the sender at 2 s times out") {
  run_virtual([] {
    Channel<int> ch;
    auto t1 = Tasklet::later(1.0, [&] { ch.send(10); });
    auto start = weft::now();
    CHECK(ch.receive(2.0) == 10);
    CHECK(exact(since(start), 1.0));
    t1.kill();

    Channel<int> ch2;
    auto t2 = Tasklet::later(2.0, [&] { ch2.send(10); });
    start = weft::now();
    CHECK_THROWS_AS(ch2.receive(1.0), TimeoutError);
    CHECK(exact(since(start), 1.0));
    t2.kill();
  });
}

TEST_CASE("send timeouts are symmetric") {
  run_virtual([] {
    Channel<int> ch;
    auto r1 = Tasklet::later(1.0, [&] { return ch.receive(); });
    auto start = weft::now();
    ch.send(10, 2.0);
    CHECK(exact(since(start), 1.0));
    CHECK(r1.join() == 10);

    Channel<int> ch2;
    auto r2 = Tasklet::later(2.0, [&] { return ch2.receive(); });
    start = weft::now();
    CHECK_THROWS_AS(ch2.send(10, 1.0), TimeoutError);
    CHECK(exact(since(start), 1.0));
    CHECK_FALSE(ch2.has_sender());
    r2.kill();
  });
}

TEST_CASE("has_receiver is false at first, true while one is parked, false after it is killed") {
  run_virtual([] {
    Channel<int> ch;
    CHECK_FALSE(ch.has_receiver());
    auto r = Tasklet::spawn([&] { ch.receive(); });
    Tasklet::sleep(1.0);
    CHECK(ch.has_receiver());
    CHECK(ch.balance() == -1);
    r.kill();
    Tasklet::sleep(1.0);
    CHECK_FALSE(ch.has_receiver());
    CHECK(ch.balance() == 0);
  });
}

TEST_CASE("has_sender likewise") {
  run_virtual([] {
    Channel<std::string> ch;
    CHECK_FALSE(ch.has_sender());
    auto s = Tasklet::spawn([&] { ch.send("x"); });
    auto s2 = Tasklet::spawn([&] { ch.send("y"); });
    Tasklet::yield_();
    CHECK(ch.has_sender());
    CHECK(ch.balance() == 2);
    s.kill();
    CHECK(ch.balance() == 1);
    CHECK(ch.receive() == "y");
    CHECK_FALSE(ch.has_sender());
  });
}

TEST_CASE("preference -1 (default): the receiver runs first") {
  run_virtual([] {
    Channel<int> ch;
    CHECK(ch.preference() == -1);
    std::vector<std::string> order;
    auto r = Tasklet::spawn([&] {
      ch.receive();
      order.push_back("received");
    });
    Tasklet::yield_();
    ch.send(1);  // the receiver runs now, the sender after it
    order.push_back("sent");
    CHECK(order == std::vector<std::string>{"received", "sent"});

    // The receiver came second: it keeps running, the sender runs later.
    order.clear();
    auto s = Tasklet::spawn([&] {
      ch.send(2);
      order.push_back("sent");
    });
    Tasklet::yield_();
    CHECK(ch.receive() == 2);
    order.push_back("received");
    Tasklet::yield_();
    CHECK(order == std::vector<std::string>{"received", "sent"});
  });
}

TEST_CASE("preference 1: the sender runs first") {
  run_virtual([] {
    Channel<int> ch(1);
    std::vector<std::string> order;
    auto s = Tasklet::spawn([&] {
      ch.send(1);
      order.push_back("sent");
    });
    Tasklet::yield_();
    CHECK(ch.receive() == 1);  // the sender runs now, the receiver after it
    order.push_back("received");
    CHECK(order == std::vector<std::string>{"sent", "received"});

    order.clear();
    auto r = Tasklet::spawn([&] {
      ch.receive();
      order.push_back("received");
    });
    Tasklet::yield_();
    ch.send(2);  // the sender came second: it keeps running
    order.push_back("sent");
    Tasklet::yield_();
    CHECK(order == std::vector<std::string>{"sent", "received"});
  });
}

TEST_CASE("preference 0: whoever comes second keeps running") {
  run_virtual([] {
    Channel<int> ch(0);
    std::vector<std::string> order;
    auto r = Tasklet::spawn([&] {
      ch.receive();
      order.push_back("received");
    });
    Tasklet::yield_();
    ch.send(1);
    order.push_back("sent");
    Tasklet::yield_();
    CHECK(order == std::vector<std::string>{"sent", "received"});

    order.clear();
    auto s = Tasklet::spawn([&] {
      ch.send(2);
      order.push_back("sent");
    });
    Tasklet::yield_();
    ch.receive();
    order.push_back("received");
    Tasklet::yield_();
    CHECK(order == std::vector<std::string>{"received", "sent"});
    ch.set_preference(1);
    CHECK(ch.preference() == 1);
    CHECK_THROWS_AS(ch.set_preference(2), std::invalid_argument);
    CHECK_THROWS_AS(Channel<int>(-2), std::invalid_argument);
  });
}

TEST_CASE("senders and receivers are served in the order they came") {
  run_virtual([] {
    Channel<int> ch;
    std::vector<int> got;
    for (int i = 0; i < 4; ++i) Tasklet::spawn([&ch, i] { ch.send(i); });
    Tasklet::yield_();
    for (int i = 0; i < 4; ++i) got.push_back(ch.receive());
    CHECK(got == std::vector<int>{0, 1, 2, 3});
  });
}

TEST_CASE("a send to a waiting receiver works outside a tasklet; parking needs one") {
  run_virtual([] {
    Channel<int> ch;
    bool sent = false;
    bool refused = false;
    weft::this_loop().post([&] {
      ch.send(3);  // main waits in receive below
      sent = true;
    });
    CHECK(ch.receive(1.0) == 3);
    CHECK(sent);
    weft::this_loop().post([&] {
      try {
        ch.send(4);  // nobody waits: it would have to park
      } catch (const weft::NotInTasklet&) {
        refused = true;
      }
    });
    Tasklet::sleep(0.05);
    CHECK(refused);
  });
}

TEST_CASE("a channel carries move-only values") {
  run_virtual([] {
    Channel<std::unique_ptr<int>> ch;
    auto s = Tasklet::spawn([&] { ch.send(std::make_unique<int>(4)); });
    CHECK(*ch.receive() == 4);
    s.join();
  });
}

}  // TEST_SUITE
