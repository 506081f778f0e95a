// Sends and calls across two real processes: this test and remote_peer
// (tests/remote/peer.cpp), through a nats-server on loopback that the test
// starts itself.

#include <csignal>
#include <string>
#include <vector>

#include "remote/connection.hpp"
#include "remote/remote_paths.hpp"
#include "sched/timeout.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/remote/messages.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/weft_test.hpp"

using namespace remote_test;
using io_test::Child;
using weft::Tasklet;
using weft::remote::Connection;
using weft_test::contains;
using weft_test::near;
using weft_test::run;
using weft_test::since;

namespace {

// The peer serving `name`, once it says it is ready.
struct Peer {
  Child child;
  Peer(const weft_test::NatsServer& nats, const std::string& name)
      : child({WEFT_REMOTE_PEER, nats.url(), name}) {
    const std::string line = child.read_line(10.0);
    REQUIRE(line == "ready");
  }
};

}  // namespace

TEST_SUITE("remote") {

TEST_CASE("remote call across processes returns 60 (Concurrence's first remote case)") {
  weft_test::NatsServer nats;
  run([&] {
    Peer peer(nats, "adder");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto adder = conn.lookup("adder", 5.0);
    CHECK(adder.call(Sum{{10, 20, 30}}, 5.0) == 60);
    int r = adder.call<int>(Sum{{1, 2}}, 5.0);  // R named as the request names it
    CHECK(r == 3);
  });
}

TEST_CASE("remote call with a timeout shorter than the handler raises TimeoutError (Concurrence's second)") {
  weft_test::NatsServer nats;
  run([&] {
    Peer peer(nats, "slow");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto slow = conn.lookup("slow", 5.0);
    auto start = weft::now();
    CHECK_THROWS_AS(slow.call(Slow{1.0, 7}, 0.5), weft::TimeoutError);
    CHECK(near(since(start), 0.5, 0.2));
    // The same under a DeadlineScope.
    start = weft::now();
    {
      weft::DeadlineScope scope(0.3);
      CHECK_THROWS_AS(slow.call(Slow{1.0, 7}), weft::DeadlineExceeded);
    }
    CHECK(near(since(start), 0.3, 0.2));
    // The late replies were dropped; the peer still serves.
    CHECK(slow.call(Slow{0.01, 8}, 5.0) == 8);
  });
}

TEST_CASE("a remote callee sees its caller's timeout: wants_reply() turns false once it has passed") {
  weft_test::NatsServer nats;
  run([&] {
    Peer peer(nats, "patient");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto p = conn.lookup("patient", 5.0);
    const auto start = weft::now();
    // The handler looks 2 s in, past the caller's 0.3 s.
    auto late = Tasklet::spawn([&] {
      CHECK_THROWS_AS(p.call(Patient{2.0}, 0.3), weft::TimeoutError);
    });
    // Within the caller's time, and with no timeout at all: it still waits.
    CHECK(p.call(Patient{0.05}, 5.0) == true);
    CHECK(p.call(Patient{0.0}, weft::never) == true);
    late.join(weft::never);
    CHECK(since(start) < 2.0);  // the late handler has not looked yet
    std::vector<int> verdicts;
    for (int i = 0; i < 100 && verdicts.size() < 3; ++i) {
      Tasklet::sleep(0.05);
      verdicts = p.call(Verdicts{}, 5.0);
    }
    CHECK(verdicts == std::vector<int>{1, 1, 0});
  });
}

TEST_CASE("remote sends from one sender arrive in order") {
  weft_test::NatsServer nats;
  run([&] {
    Peer peer(nats, "log");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto log = conn.lookup("log", 5.0);
    std::vector<int> sent;
    for (int i = 0; i < 2000; ++i) {
      log.send(Record{i});
      sent.push_back(i);
    }
    CHECK(log.call(Fetch{}, 10.0) == sent);
  });
}

TEST_CASE("many concurrent remote calls each get their own reply") {
  weft_test::NatsServer nats;
  run([&] {
    Peer peer(nats, "adder");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto adder = conn.lookup("adder", 5.0);
    std::vector<weft::TaskletOf<void>> callers;
    int right = 0;
    for (int i = 0; i < 300; ++i) {
      callers.push_back(Tasklet::spawn([&, i] {
        // Slow ones and quick ones interleave: replies come out of order.
        const int v = i % 3 == 0 ? adder.call(Slow{0.05, i}, 10.0) : adder.call(Sum{{i, 1000}}, 10.0);
        right += v == (i % 3 == 0 ? i : i + 1000);
      }));
    }
    for (auto& c : callers) c.join(weft::never);
    CHECK(right == 300);
  });
}

TEST_CASE("a remote handler's reply_error comes back as RemoteError, a CallError with its type and message") {
  weft_test::NatsServer nats;
  run([&] {
    Peer peer(nats, "failing");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto f = conn.lookup("failing", 5.0);
    try {
      f.call(Fail{"insufficient funds"}, 5.0);
      FAIL("no error");
    } catch (const weft::remote::RemoteError& e) {
      CHECK(e.type() == "std::runtime_error");
      CHECK(e.remote_message() == "insufficient funds");
      CHECK(contains(e.what(), "call to remote 'failing' failed: std::runtime_error: insufficient funds"));
    }
    CHECK_THROWS_AS(f.call(Fail{"x"}, 5.0), weft::CallError);
  });
}

TEST_CASE("a remote tasklet that finishes mid-call: CallError, then CallError for later calls") {
  weft_test::NatsServer nats;
  run([&] {
    Peer peer(nats, "quitter");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto q = conn.lookup("quitter", 5.0);
    auto pending = Tasklet::spawn([&] { return q.call(Slow{2.0, 1}, 10.0); });
    Tasklet::sleep(0.1);
    try {
      q.call(Quit{}, 5.0);
      FAIL("no error");
    } catch (const weft::CallError& e) {
      CHECK(contains(e.what(), "finished without replying"));
    }
    // The slow call's message outlives the tasklet (a tasklet of its own
    // holds it) and is answered; a later call finds the tasklet gone, or, once
    // the peer has exited, no one serving the name.
    CHECK(pending.join(weft::never) == 1);
    CHECK_THROWS_AS(q.call(Sum{{1}}, 5.0), weft::CallError);
  });
}

TEST_CASE("the callee process killed mid-call: the call times out, later ones find no one") {
  weft_test::NatsServer nats;
  run([&] {
    auto peer = std::make_unique<Peer>(nats, "doomed");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto d = conn.lookup("doomed", 5.0);
    auto pending = Tasklet::spawn([&] {
      try {
        d.call(Slow{5.0, 1}, 1.0);
        return std::string("replied");
      } catch (const weft::TimeoutError&) {
        return std::string("timed out");
      }
    });
    Tasklet::sleep(0.2);
    peer->child.stop(SIGKILL);
    // NATS does not tell a requester that its responder died: the call ends
    // at its timeout.
    CHECK(pending.join(weft::never) == "timed out");
    try {
      d.call(Sum{{1}}, 5.0);
      FAIL("no error");
    } catch (const weft::remote::NameNotFound& e) {
      CHECK(contains(e.what(), "no tasklet is registered under 'doomed'"));
    }
  });
}

TEST_CASE("an undecodable message: a clear error for the caller, a log line at the callee, no crash") {
  weft_test::NatsServer nats;
  run([&] {
    Peer peer(nats, "adder");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto adder = conn.lookup("adder", 5.0);
    try {
      adder.call(BadSum{"ten"}, 5.0);
      FAIL("no error");
    } catch (const weft::remote::DecodeError& e) {
      CHECK(contains(e.what(), "call to remote 'adder' failed"));
      CHECK(contains(e.what(), "could not decode a Sum: expected an array, found a string"));
    }
    const std::string logged = peer.child.read_line(5.0);
    CHECK(contains(logged, "log: weft: remote 'adder' refused a call: could not decode a Sum"));
    // A sent one is refused too (only the callee knows).
    adder.send(BadSum{"ten"});
    CHECK(contains(peer.child.read_line(5.0), "refused a message: expected an array, found a string"));
    // A reply that does not decode as the R asked for.
    try {
      adder.call<std::string>(UntypedSum{{1, 2}}, 5.0);
      FAIL("no error");
    } catch (const weft::remote::DecodeError& e) {
      CHECK(contains(e.what(), "its reply does not decode as std::string: expected a string, found an integer"));
    }
    // A type the name does not accept.
    try {
      adder.call<int>(std::string("hello"), 5.0);
      FAIL("no error");
    } catch (const weft::remote::DecodeError& e) {
      CHECK(contains(e.what(), "accepts no message of type 'std::string'"));
    }
    // Both sides go on.
    CHECK(adder.call(Sum{{10, 20, 30}}, 5.0) == 60);
  });
}

}  // TEST_SUITE
