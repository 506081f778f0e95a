// The drop paths, taken on purpose (random kill storms never reached them):
// a receiver killed with messages still queued, and calls in flight to a
// tasklet being killed. Every message's payload is destroyed exactly once
// (Tracked counts destructions per id), every unanswered call is answered
// with CallError on the caller's side, nothing is delivered twice or after
// the kill, and nothing leaks (the leak check of run(), and ASan).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "mailbox/address.hpp"
#include "mailbox/mailbox.hpp"
#include "sched/loop.hpp"
#include "sync/event.hpp"
#include "tests/support/weft_test.hpp"

using weft::CallError;
using weft::Message;
using weft::Tasklet;
using weft_test::contains;
using weft_test::run;

namespace {

constexpr int kMaxIds = 64 * 1024;

// A payload that counts its own destruction by id (a moved-from one has none),
// on whichever thread it dies.
struct Tracked {
  static inline std::atomic<int> destroyed[kMaxIds];
  static void reset() {
    for (auto& d : destroyed) d.store(0, std::memory_order_relaxed);
  }
  // How many ids in [0, n) were destroyed exactly once, and whether any other was touched.
  static int once(int n) {
    int k = 0;
    for (int i = 0; i < n; ++i) k += destroyed[i].load() == 1;
    for (int i = n; i < kMaxIds; ++i) {
      if (destroyed[i].load() != 0) return -1;
    }
    return k;
  }

  int id;
  explicit Tracked(int i) noexcept : id(i) {}
  Tracked(Tracked&& o) noexcept : id(std::exchange(o.id, -1)) {}
  Tracked& operator=(Tracked&&) = delete;
  ~Tracked() {
    if (id >= 0) destroyed[id].fetch_add(1, std::memory_order_relaxed);
  }
};

// What became of one call.
struct Outcome {
  bool finished = false;
  bool replied = false;
  std::string error;  // the CallError's message
};

// Spawns a tasklet that calls `callee` with Tracked(id) and records the outcome.
Tasklet caller(const Tasklet& callee, int id, Outcome& out) {
  return Tasklet::spawn([callee, id, &out] {
    try {
      weft::call<int>(callee, Tracked(id), 5.0);
      out.replied = true;
    } catch (const CallError& e) {
      out.error = e.what();
    }
    out.finished = true;
  });
}

void yield_n(int n) {
  for (int i = 0; i < n; ++i) Tasklet::yield_();
}

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("a receiver killed with messages queued: each destroyed once, each call gets CallError") {
  Tracked::reset();
  run([] {
    constexpr int kN = 200;
    std::vector<int> delivered;
    weft::Event hold;  // never set: the handler keeps its first message
    auto r = weft::receiver(
        [&](Message& m) {
          delivered.push_back(m.as<Tracked>().id);
          hold.wait();
        },
        {.name = "doomed"});
    std::vector<Outcome> outcomes(kN);
    std::vector<Tasklet> callers;
    callers.push_back(caller(r, 0, outcomes[0]));  // the call r takes and holds: in flight
    yield_n(3);
    REQUIRE(delivered == std::vector<int>{0});
    for (int i = 1; i < kN; ++i) {  // sends and calls queued behind it, in id order
      if (i % 2 == 0) {
        callers.push_back(caller(r, i, outcomes[i]));
        Tasklet::yield_();  // the caller pushes its call
      } else {
        CHECK(weft::send(r, Tracked(i)));
      }
    }
    REQUIRE(weft::mailbox_size(r) == kN - 1);
    CHECK(Tracked::once(kN) == 0);  // nothing destroyed yet

    r.kill();
    CHECK(Tracked::once(kN) == kN);  // the held one and every queued one, once each
    for (auto& c : callers) Tasklet::join(c, 1.0);
    for (int i = 0; i < kN; i += 2) {
      INFO("call " << i);
      CHECK(outcomes[i].finished);
      CHECK_FALSE(outcomes[i].replied);
      CHECK(contains(outcomes[i].error,
                     "weft: call to tasklet 'doomed' failed: it finished without replying"));
    }
    CHECK(delivered == std::vector<int>{0});  // nothing delivered after the kill
    CHECK_FALSE(weft::send(r, Tracked(kN)));  // refused, and destroyed at once
    CHECK_THROWS_AS(weft::call<int>(r, Tracked(kN + 1)), CallError);
    CHECK(Tracked::once(kN + 2) == kN + 2);
  });
}

TEST_CASE("calls in flight to a tasklet being killed, at each point a call can be") {
  Tracked::reset();
  run([] {
    // 1. The callee holds the call and is parked in a call of its own to a third
    //    tasklet: its call is abandoned, the one it held is dropped.
    weft::Event release;
    auto third = weft::receiver(
        [&](Message& m) {
          release.wait();
          m.reply(1);  // to a caller that gave up: dropped, never blocks
        },
        {.name = "third"});
    auto middle = weft::receiver(
        [&](Message& m) {
          weft::call<int>(third, Tracked(100));
          m.reply(2);
        },
        {.name = "middle"});
    Outcome held;
    auto c1 = caller(middle, 1, held);
    yield_n(3);
    middle.kill();
    Tasklet::join(c1, 1.0);
    CHECK(contains(held.error, "call to tasklet 'middle' failed: it finished without replying"));
    CHECK(Tracked::destroyed[1] == 1);
    CHECK(Tracked::destroyed[100] == 0);  // still in third's hands
    release.set();
    yield_n(3);
    CHECK(Tracked::destroyed[100] == 1);
    CHECK(weft::call<int>(third, 0, 1.0) == 1);  // third goes on serving

    // 2. The callee was woken by the message it waited for (it runs next) and
    //    is killed before it runs, with two calls queued.
    std::vector<int> got;
    auto woken = Tasklet::spawn(
        [&] {
          for (;;) {
            for (Message& m : weft::receive_batch(4)) got.push_back(m.as<Tracked>().id);
          }
        },
        {.name = "woken"});
    Outcome queued_a;
    Outcome queued_b;
    auto c2a = caller(woken, 2, queued_a);
    auto c2b = caller(woken, 3, queued_b);
    yield_n(3);  // woken has the two calls and waits for the batch of four to fill
    REQUIRE(weft::mailbox_size(woken) == 2);
    CHECK(weft::send(woken, Tracked(4)));
    CHECK(weft::send(woken, Tracked(5)));  // the fourth: woken is runnable, first in line
    woken.kill();
    Tasklet::join(c2a, 1.0);
    Tasklet::join(c2b, 1.0);
    CHECK(contains(queued_a.error, "call to tasklet 'woken' failed: it finished without replying"));
    CHECK(contains(queued_b.error, "finished without replying"));
    CHECK(got.empty());
    for (int i = 2; i < 6; ++i) CHECK(Tracked::destroyed[i] == 1);

    // 3. The callee never ran: spawned, sent to, called, killed before its first turn.
    Tasklet fresh;
    Outcome unrun;
    auto c3 = Tasklet::spawn([&] {
      fresh = weft::receiver([](Message&) { FAIL("a tasklet killed before it ran, ran"); },
                             {.name = "fresh"});
      for (int i = 7; i < 10; ++i) weft::send(fresh, Tracked(i));
      try {
        weft::call<int>(fresh, Tracked(6), 5.0);
      } catch (const CallError& e) {
        unrun.error = e.what();
      }
      unrun.finished = true;
    });
    Tasklet::yield_();  // c3 spawns fresh, sends, calls and parks; main runs before fresh
    REQUIRE(weft::mailbox_size(fresh) == 4);
    fresh.kill();
    c3.join(1.0);
    CHECK(contains(unrun.error, "call to tasklet 'fresh' failed: it finished without replying"));
    for (int i = 6; i < 10; ++i) CHECK(Tracked::destroyed[i] == 1);

    // 4. Caller and callee killed in the same turn, in both orders.
    weft::Event never_set;
    for (const bool caller_first : {true, false}) {
      INFO("caller killed first: " << caller_first);
      const int id = caller_first ? 10 : 11;
      auto callee = weft::receiver([&](Message&) { never_set.wait(); });
      Outcome o;
      auto c = caller(callee, id, o);
      yield_n(3);  // the callee holds the call
      if (caller_first) {
        c.kill();
        callee.kill();
      } else {
        callee.kill();  // c is woken with its CallError pending...
        c.kill();       // ...and killed before it runs
      }
      CHECK(c.has_finished());
      CHECK(callee.has_finished());
      CHECK_FALSE(o.finished);
      CHECK(Tracked::destroyed[id] == 1);
    }
    third.kill();
  });
  for (int i = 1; i < 12; ++i) CHECK(Tracked::destroyed[i] == 1);
  CHECK(Tracked::destroyed[0] == 0);  // not used
  CHECK(Tracked::destroyed[100] == 1);
}

TEST_CASE("calls in flight to a tasklet being killed: waiting for room, forwarded, in a batch") {
  Tracked::reset();
  run([] {
    weft::Event never_set;
    // 1. The caller waits for room in the callee's full bounded mailbox.
    auto full = Tasklet::spawn([&] { never_set.wait(); }, {.name = "full", .max_mailbox_len = 1});
    CHECK(weft::send(full, Tracked(1)));
    Outcome waiting;
    auto c1 = caller(full, 2, waiting);
    yield_n(2);  // c1 parks for room; its message is not in the mailbox
    REQUIRE(weft::mailbox_size(full) == 1);
    full.kill();
    Tasklet::join(c1, 1.0);
    CHECK(contains(waiting.error, "call to tasklet 'full' failed: it has finished"));
    CHECK(Tracked::destroyed[1] == 1);
    CHECK(Tracked::destroyed[2] == 1);

    // 2. A proxy forwards the call to a worker, which is killed holding it:
    //    the caller still gets its CallError (the call travels with the message).
    auto worker = weft::receiver([&](Message&) { never_set.wait(); }, {.name = "worker"});
    auto proxy = weft::receiver([&](Message& m) { weft::send(worker, std::move(m)); },
                                {.name = "proxy"});
    Outcome forwarded;
    auto c2 = caller(proxy, 3, forwarded);
    yield_n(4);  // c2 -> proxy -> worker, which holds it
    REQUIRE(Tracked::destroyed[3] == 0);
    worker.kill();
    Tasklet::join(c2, 1.0);
    CHECK(contains(forwarded.error, "call to tasklet 'proxy' failed"));
    CHECK(Tracked::destroyed[3] == 1);
    proxy.kill();

    // 3. The callee takes three calls in one batch, answers the first, and is
    //    killed with the other two in its hands.
    std::vector<Outcome> batch(3);
    std::vector<Tasklet> callers;
    auto batcher = Tasklet::spawn(
        [&] {
          std::vector<Message> ms = weft::receive_batch(3);
          ms[0].reply(ms[0].as<Tracked>().id);
          never_set.wait();
        },
        {.name = "batcher"});
    for (int i = 0; i < 3; ++i) callers.push_back(caller(batcher, 4 + i, batch[i]));
    yield_n(4);
    REQUIRE(batch[0].replied);
    batcher.kill();
    for (auto& c : callers) Tasklet::join(c, 1.0);
    CHECK(contains(batch[1].error,
                   "call to tasklet 'batcher' failed: it finished without replying"));
    CHECK(contains(batch[2].error, "finished without replying"));
    for (int i = 4; i < 7; ++i) CHECK(Tracked::destroyed[i] == 1);
  });
  CHECK(Tracked::once(7) == 6);  // ids 1 to 6
}

TEST_CASE("the loop ends with calls and messages queued: each destroyed once, nothing leaks") {
  Tracked::reset();
  constexpr int kN = 60;
  std::vector<Outcome> outcomes(kN);
  // What the tasklets use outlives main: they are killed after it returns.
  weft::Event go;
  weft::Event hold;
  run([&] {
    auto r = std::make_shared<Tasklet>();  // the older callers hold it, made before r runs
    // Teardown kills the newest first. Callers older than r die after it (its
    // end answers their calls while they wait); younger ones die before it
    // (their calls are abandoned in its mailbox).
    for (int i = 0; i < kN / 2; i += 2) {
      Tasklet::spawn([&, r, i] {
        go.wait();
        try {
          weft::call<int>(*r, Tracked(i));
          outcomes[i].replied = true;
        } catch (const CallError&) {
          outcomes[i].error = "CallError";
        }
      });
    }
    *r = weft::receiver([&](Message&) { hold.wait(); });
    for (int i = 1; i < kN / 2; i += 2) weft::send(*r, Tracked(i));
    go.set();
    yield_n(3);
    for (int i = kN / 2; i < kN; ++i) {
      if (i % 2 == 0) {
        caller(*r, i, outcomes[i]);
      } else {
        weft::send(*r, Tracked(i));
      }
      Tasklet::yield_();
    }
    REQUIRE(weft::mailbox_size(*r) == kN - 1);  // one is in the handler's hands
    weft::quit(0);  // every tasklet is killed in teardown
  });
  CHECK(Tracked::once(kN) == kN);
  for (const Outcome& o : outcomes) CHECK_FALSE(o.replied);
}

TEST_CASE("a payload whose destructor sends, while its mailbox is being destroyed") {
  Tracked::reset();
  run([] {
    // Sends from a destructor that runs as the mailbox goes: to the dying
    // tasklet (refused), and to a live one (delivered).
    struct SendsOnDeath {
      Tasklet* dying;
      Tasklet* other;
      int id;
      SendsOnDeath(Tasklet* d, Tasklet* o, int i) noexcept : dying(d), other(o), id(i) {}
      SendsOnDeath(SendsOnDeath&& s) noexcept
          : dying(s.dying), other(s.other), id(std::exchange(s.id, -1)) {}
      ~SendsOnDeath() {
        if (id < 0) return;
        CHECK_FALSE(weft::send(*dying, Tracked(1000 + id)));
        CHECK(weft::send(*other, Tracked(2000 + id)));
      }
    };
    std::vector<int> got;
    Tasklet other = weft::receiver([&](Message& m) { got.push_back(m.as<Tracked>().id); });
    Tasklet dying = Tasklet::spawn([] { Tasklet::sleep(weft::never); });
    for (int i = 0; i < 3; ++i) weft::send(dying, SendsOnDeath(&dying, &other, i));
    Tasklet::yield_();
    dying.kill();
    Tasklet::yield_();
    CHECK(got == std::vector<int>{2000, 2001, 2002});
    for (int i = 0; i < 3; ++i) {
      CHECK(Tracked::destroyed[1000 + i] == 1);
      CHECK(Tracked::destroyed[2000 + i] == 1);
    }
    other.kill();
  });
}

TEST_CASE("a receiver killed while another thread sends to it: each delivered or destroyed once") {
  Tracked::reset();
  run([] {
    constexpr int kN = 60'000;
    std::vector<int> delivered;
    weft::Event never_set;
    auto r = weft::receiver([&](Message& m) {
      delivered.push_back(m.as<Tracked>().id);
      if (delivered.size() == 1000) never_set.wait();  // the rest pile up behind it
    });
    const weft::Address inbox(r);
    std::atomic<int> accepted{0};
    std::atomic<bool> done{false};
    std::thread sender([&] {
      for (int i = 0; i < kN; ++i) accepted += inbox.send(Tracked(i)) ? 1 : 0;
      done = true;
    });
    while (delivered.size() < 1000) Tasklet::sleep(0.0005);
    Tasklet::sleep(0.001);  // more arrive: queued in the mailbox, or waiting on the door
    r.kill();  // mid-stream: the held one, queued ones, ones on the door, ones not sent yet
    const std::size_t at_kill = delivered.size();
    while (!done) Tasklet::sleep(0.001);
    sender.join();
    Tasklet::sleep(0.01);  // a drain posted before the door closed runs and frees
    CHECK(delivered.size() == at_kill);  // nothing after the kill
    bool increasing = true;
    for (std::size_t i = 1; i < delivered.size(); ++i) {
      increasing &= delivered[i] > delivered[i - 1];
    }
    CHECK(increasing);  // in order, none twice
    CHECK(accepted >= static_cast<int>(delivered.size()));
    CHECK_FALSE(inbox.alive());
    CHECK(Tracked::once(kN) == kN);  // delivered, dropped with the mailbox, or refused: once each
  });
}

}  // TEST_SUITE
