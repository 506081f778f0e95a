// Messages between tasklets: Concurrence's "Messages" behaviours, send and
// receive, ordering, scheduling, and the mailbox's life with its tasklet.

#include <iterator>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "mailbox/message_stream.hpp"
#include "sched/loop.hpp"
#include "tests/support/weft_test.hpp"

using weft::Message;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::Counted;
using weft_test::exact;
using weft_test::run;
using weft_test::run_virtual;
using weft_test::since;

namespace {

struct Ping {
  int value;
};
struct Pong {
  int value;
};

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("two tasklets exchange 6 ping/pong messages carrying 10 and 20, in order") {
  run_virtual([] {
    Tasklet parent = Tasklet::current();
    auto child = Tasklet::spawn([parent] {
      for (;;) {
        Message m = weft::receive();
        if (auto* p = m.get_if<Ping>()) {
          CHECK(p->value == 10);
          weft::send(parent, Pong{20});
        }
      }
    });
    int round_trips = 0;
    weft::send(child, Ping{10});
    for (;;) {
      Message m = weft::receive();
      if (m.is<Pong>()) {
        CHECK(m.as<Pong>().value == 20);
        if (++round_trips > 5) break;
        weft::send(child, Ping{10});
      }
    }
    CHECK(round_trips == 6);
    child.kill();
  });
}

TEST_CASE("messages(): Concurrence's receive() generator, as a range") {
  run_virtual([] {
    Tasklet me = Tasklet::current();
    for (int i = 0; i < 3; ++i) weft::send(me, i);
    weft::send(me, std::string("stop"));
    std::vector<int> got;
    for (Message& m : weft::messages(1.0)) {
      if (m.is<std::string>()) break;
      got.push_back(m.as<int>());
    }
    CHECK(got == std::vector<int>{0, 1, 2});
    auto start = weft::now();
    auto drain = [] {
      auto stream = weft::messages(0.2);
      for (auto it = stream.begin();; ++it) (void)it->type();
    };
    CHECK_THROWS_AS(drain(), TimeoutError);
    CHECK(exact(since(start), 0.2));
    static_assert(std::input_iterator<weft::MessageStream::Iterator>);
  });
}

TEST_CASE("receive(2.0) on an empty mailbox throws TimeoutError after ~2 s") {
  run_virtual([] {
    auto start = weft::now();
    CHECK_THROWS_AS(weft::receive(2.0), TimeoutError);
    CHECK(exact(since(start), 2.0));
  });
}

TEST_CASE("a send to a tasklet parked in receive makes it run next") {
  run_virtual([] {
    std::vector<std::string> order;
    auto r = Tasklet::spawn([&] {
      weft::receive();
      order.push_back("receiver");
    });
    Tasklet::yield_();  // r parks in receive
    auto other = Tasklet::spawn([&] { order.push_back("other"); });  // queued first
    CHECK(weft::send(r, 1));
    CHECK(order.empty());  // the sender is not switched out: it runs until it parks
    Tasklet::yield_();
    CHECK(order == std::vector<std::string>{"receiver", "other"});
  });
}

TEST_CASE("a deadline scope of 2.5 s around receiving 4 messages sent 1 s apart throws at ~2.5 s") {
  run_virtual([] {
    Tasklet me = Tasklet::current();
    auto sender = Tasklet::spawn([me] {
      for (int i = 0; i < 4; ++i) {
        Tasklet::sleep(1.0);
        weft::send(me, i);
      }
    });
    int received = 0;
    auto start = weft::now();
    auto body = [&] {
      weft::DeadlineScope scope(2.5);
      for (int i = 0; i < 4; ++i) {
        int v = weft::receive().as<int>();  // (not inside CHECK: it would catch the timeout)
        CHECK(v == i);
        ++received;
      }
    };
    CHECK_THROWS_AS(body(), TimeoutError);
    CHECK(exact(since(start), 2.5));
    CHECK(received == 2);
    sender.kill();
  });
}

TEST_CASE("messages arrive in the order they were sent, from any number of senders") {
  run_virtual([] {
    Tasklet me = Tasklet::current();
    for (int s = 0; s < 3; ++s) {
      Tasklet::spawn([me, s] {
        for (int i = 0; i < 5; ++i) {
          weft::send(me, std::pair<int, int>(s, i));
          Tasklet::yield_();
        }
      });
    }
    int next[3] = {0, 0, 0};
    for (int k = 0; k < 15; ++k) {
      auto [s, i] = weft::receive().as<std::pair<int, int>>();
      CHECK(i == next[s]);
      ++next[s];
    }
    CHECK(weft::mailbox_size(me) == 0);
  });
}

TEST_CASE("send to a finished tasklet returns false and drops the message") {
  run_virtual([] {
    auto t = Tasklet::spawn([] {});
    t.join();
    CHECK_FALSE(weft::send(t, Counted(1)));
    CHECK_FALSE(weft::try_send(t, Counted(2)));
    CHECK(Counted::live == 0);
    CHECK(weft::mailbox_size(t) == 0);
  });
}

TEST_CASE("a mailbox is made on first use and goes, with what is in it, when its tasklet finishes") {
  run_virtual([] {
    auto t = Tasklet::spawn([] { Tasklet::sleep(0.05); });
    CHECK(weft::mailbox_size(t) == 0);
    CHECK(weft::send(t, Counted(1)));
    CHECK(weft::send(t, Counted(2)));
    CHECK(weft::mailbox_size(t) == 2);
    CHECK(Counted::live == 2);
    t.join();
    CHECK(Counted::live == 0);  // destroyed with the mailbox
    CHECK(weft::mailbox_size(t) == 0);
  });
}

TEST_CASE("try_receive returns an empty Message when there is none") {
  run_virtual([] {
    CHECK_FALSE(weft::try_receive());
    weft::send(Tasklet::current(), std::string("x"));
    Message m = weft::try_receive();
    REQUIRE(m);
    CHECK(m.as<std::string>() == "x");
    CHECK_FALSE(weft::try_receive());
  });
}

TEST_CASE("a received Message can be forwarded with std::move") {
  run_virtual([] {
    Tasklet me = Tasklet::current();
    auto relay = Tasklet::spawn([me] {
      Message m = weft::receive();
      weft::send(me, std::move(m));
      CHECK_FALSE(m);
    });
    weft::send(relay, Ping{7});
    CHECK(weft::receive(1.0).as<Ping>().value == 7);
    CHECK_THROWS_AS(weft::send(me, Message()), std::logic_error);
  });
}

TEST_CASE("send works outside a tasklet (a function posted to the loop)") {
  run_virtual([] {
    Tasklet me = Tasklet::current();
    bool sent = false;
    weft::this_loop().post([&] { sent = weft::send(me, 5).ok(); });
    CHECK(weft::receive(1.0).as<int>() == 5);
    CHECK(sent);
  });
}

TEST_CASE("receive and friends need a tasklet; handles must be usable") {
  CHECK_THROWS_AS(weft::receive(), weft::NotInTasklet);
  CHECK_THROWS_AS(weft::try_receive(), weft::NotInTasklet);
  CHECK_THROWS_AS(weft::receive_batch(2), weft::NotInTasklet);
  run_virtual([] {
    CHECK_THROWS_AS(weft::send(Tasklet(), 1), std::logic_error);
    CHECK_THROWS_AS((void)weft::try_send(Tasklet(), 1), std::logic_error);
    CHECK_THROWS_AS(weft::mailbox_size(Tasklet()), std::logic_error);
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("a send to a tasklet of another loop is refused") {
  run_virtual([] {
    auto t = Tasklet::spawn([] { Tasklet::sleep(weft::never); });
    bool refused = false;
    std::thread other([&] {  // `t` is used by reference only: handles are not thread-safe
      weft::dispatch([&] {
        try {
          weft::send(t, 1);
        } catch (const std::logic_error&) {
          refused = true;
        }
      });
    });
    other.join();
    CHECK(refused);
    CHECK(weft::mailbox_size(t) == 0);
    t.kill();
  });
}

TEST_CASE("a message destroyed with its finished tasklet's mailbox cannot send to that tasklet") {
  // The unread message's destructor runs while the tasklet ends: a send to the
  // ending tasklet is refused (false), not queued into a mailbox nobody reads.
  struct Boomerang {
    Tasklet target;
    int* sends = nullptr;
    bool* accepted = nullptr;
    Boomerang(Tasklet t, int* s, bool* a) : target(std::move(t)), sends(s), accepted(a) {}
    Boomerang(Boomerang&& o) noexcept
        : target(o.target), sends(std::exchange(o.sends, nullptr)), accepted(o.accepted) {}
    ~Boomerang() {
      if (sends == nullptr) return;  // moved from
      ++*sends;
      *accepted = weft::send(target, weft_test::Counted(1)).ok();
    }
  };
  run_virtual([] {
    int sends = 0;
    bool accepted = true;
    auto t = Tasklet::spawn([] { Tasklet::sleep(0.01); });
    CHECK(weft::send(t, Boomerang(t, &sends, &accepted)));
    t.join();
    CHECK(sends == 1);
    CHECK_FALSE(accepted);
    CHECK(Counted::live == 0);
    CHECK(weft::mailbox_size(t) == 0);
  });
}

}  // TEST_SUITE
