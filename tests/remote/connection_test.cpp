// The connection: connect errors, unknown names, a server restart, a clean
// close, names served from several loops — all in one process, through a
// nats-server on loopback.

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "mailbox/mailbox.hpp"
#include "remote/connection.hpp"
#include "sched/timeout.hpp"
#include "sync/event.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/spawn_on.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/remote/messages.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/weft_test.hpp"

using namespace remote_test;
using weft::Message;
using weft::Tasklet;
using weft::remote::Connection;
using weft_test::contains;
using weft_test::run;
using weft_test::since;

namespace {

// A local tasklet answering Sum and Slow (Slow in a tasklet of its own).
Tasklet adder() {
  return weft::receiver([](Message& m) {
    if (auto* s = m.get_if<Sum>()) {
      int total = 0;
      for (int n : s->numbers) total += n;
      m.reply<Sum>(total);
    } else if (auto* s = m.get_if<Slow>()) {
      const Slow slow = *s;
      Tasklet::spawn([slow, m = std::move(m)]() mutable {
        Tasklet::sleep(slow.seconds);
        m.reply<Slow>(slow.value);
      });
    }
  }, {.name = "adder", .daemon = true});
}

}  // namespace

TEST_SUITE("remote") {

TEST_CASE("connect to a port where no server listens: ConnectionError naming the URL") {
  int port;
  {
    weft_test::NatsServer nats;  // a port that was free a moment ago
    port = nats.port();
  }
  run([&] {
    const std::string url = "nats://127.0.0.1:" + std::to_string(port);
    try {
      Connection::connect(url, 2.0);
      FAIL("connected");
    } catch (const weft::remote::ConnectionError& e) {
      CHECK(contains(e.what(), "weft: connect to " + url + " failed"));
    }
  });
}

TEST_CASE("lookup of a name nobody serves: NameNotFound naming it") {
  weft_test::NatsServer nats;
  run([&] {
    auto conn = Connection::connect(nats.url(), 5.0);
    const auto start = weft::now();
    try {
      conn.lookup("nobody.home", 5.0);
      FAIL("found");
    } catch (const weft::remote::NameNotFound& e) {
      CHECK(contains(e.what(), "no tasklet is registered under 'nobody.home' on " + nats.url()));
    }
    CHECK(since(start) < 1.0);  // the server says so at once
    CHECK_THROWS_AS(conn.register_name<Sum>(adder(), "bad name"), std::invalid_argument);
    weft::Tasklet::yield_();
  });
}

TEST_CASE("a registration ends with its handle; the tasklet of a registration gets ordinary messages") {
  weft_test::NatsServer nats;
  run([&] {
    auto conn = Connection::connect(nats.url(), 5.0);
    auto a = adder();
    {
      auto reg = conn.register_name<Sum>(a, "adder");
      CHECK(conn.lookup("adder", 5.0).call(Sum{{10, 20, 30}}, 5.0) == 60);
    }
    CHECK_THROWS_AS(conn.lookup("adder", 5.0), weft::remote::NameNotFound);
    a.kill();
  });
}

TEST_CASE("nats-server stopped and restarted mid-run: calls in flight fail, later calls succeed") {
  weft_test::NatsServer nats;
  run([&] {
    auto server_conn = Connection::connect(nats.url(), 5.0);
    auto a = adder();
    auto reg = server_conn.register_name<Sum, Slow>(a, "adder");
    auto conn = Connection::connect(nats.url(), 5.0);
    auto remote = conn.lookup("adder", 5.0);
    CHECK(remote.call(Sum{{1, 2}}, 5.0) == 3);

    auto in_flight = Tasklet::spawn([&] {
      try {
        remote.call(Slow{2.0, 1}, 10.0);
        return std::string("replied");
      } catch (const weft::CallError& e) {
        return std::string(e.what());
      }
    });
    Tasklet::sleep(0.2);
    nats.stop(SIGKILL);
    const std::string failure = in_flight.join(weft::never);
    CHECK(contains(failure, "call to remote 'adder' failed: the connection to " + nats.url() + " was lost"));
    // While it is down, calls fail at once.
    const auto start = weft::now();
    try {
      remote.call(Sum{{1}}, 5.0);
      FAIL("no error");
    } catch (const weft::CallError& e) {
      CHECK(contains(e.what(), "not connected to " + nats.url()));
    }
    CHECK(since(start) < 0.5);

    nats.start();  // the same port
    int result = 0;
    const auto back = weft::now();
    while (result == 0 && since(back) < 10.0) {
      try {
        result = remote.call(Sum{{40, 2}}, 1.0);
      } catch (const weft::CallError&) {  // not reconnected yet (either side)
        Tasklet::sleep(0.05);
      }
    }
    CHECK(result == 42);
    a.kill();
  });
}

TEST_CASE("close() while a call is being served: its reply still goes out; later calls fail") {
  weft_test::NatsServer nats;
  run([&] {
    auto server_conn = Connection::connect(nats.url(), 5.0);
    weft::Event arrived;
    auto slow = weft::receiver([&](Message& m) {
      if (m.is<Slow>()) {
        arrived.set();
        Tasklet::spawn([m = std::move(m)]() mutable {
          Tasklet::sleep(0.3);
          m.reply<Slow>(5);
        });
      }
    }, {.name = "slow", .daemon = true});
    auto reg = server_conn.register_name<Slow>(slow, "slow");
    // Closes the serving side while the call is in its handler.
    auto closer = Tasklet::spawn([&] {
      arrived.wait(5.0);
      server_conn.close();
    });
    auto conn = Connection::connect(nats.url(), 5.0);
    auto s = conn.lookup("slow", 5.0);
    CHECK(s.call(Slow{0, 0}, 5.0) == 5);
    closer.join(weft::never);
    CHECK_THROWS_AS(s.call(Slow{0, 0}, 5.0), weft::remote::NameNotFound);
    conn.close();
    try {
      s.call(Slow{0, 0}, 5.0);
      FAIL("no error");
    } catch (const weft::CallError& e) {
      CHECK(contains(e.what(), "the connection is closed"));
    }
  });
}

TEST_CASE("a remote call's timeout also bounds the serving side's call") {
  weft_test::NatsServer nats;
  run([&] {
    auto conn = Connection::connect(nats.url(), 5.0);
    std::vector<Message> held;  // calls the handler never answers
    auto hoarder = weft::receiver([&](Message& m) { held.push_back(std::move(m)); },
                                  {.name = "hoarder", .daemon = true});
    auto reg = conn.register_name<Slow>(hoarder, "hoarder");
    auto h = conn.lookup("hoarder", 5.0);
    const std::size_t before = weft::loop_stats().live_tasklets;
    // The held call wants its reply while its caller waits, and no longer
    // once the caller's timeout has passed (the callee is told it).
    bool wanted_while_waiting = false;
    auto look = weft::Tasklet::spawn([&] {
      for (int i = 0; i < 90 && held.empty(); ++i) weft::Tasklet::sleep(0.01);
      wanted_while_waiting = !held.empty() && held[0].wants_reply();
    });
    CHECK_THROWS_AS(h.call(Slow{0, 0}, 1.0), weft::TimeoutError);
    look.join(weft::never);
    CHECK(wanted_while_waiting);
    REQUIRE(held.size() == 1);
    CHECK_FALSE(held[0].wants_reply());
    // No tasklet serves the call (it waits in the hoarder's mailbox), and
    // close() does not wait for a call whose caller has given up.
    CHECK(weft::loop_stats().live_tasklets == before);
    const auto start = weft::now();
    conn.close();
    CHECK(since(start) < 1.0);
    CHECK(held.size() == 1);
    held.clear();
  });
}

TEST_CASE("several loops: a name registered on loop 1, called from loop 0 and from loop 1") {
  weft_test::NatsServer nats;
  Connection shared;  // one connection for the process, made on loop 0
  std::atomic<bool> registered{false};
  std::atomic<int> from_loop0{0};
  std::atomic<int> from_loop1{0};
  const int code = weft::dispatch_loops(2, [&](std::size_t loop) {
    if (loop != 0) return;
    shared = Connection::connect(nats.url(), 5.0);
    auto server = weft::spawn_on(weft::loop_at(1), [&] {
      auto a = adder();
      auto reg = shared.register_name<Sum>(a, "loop1.adder");
      registered = true;
      from_loop1 = shared.lookup("loop1.adder", 5.0).call(Sum{{1, 1}}, 5.0);  // from its own loop
      while (from_loop0 == 0) Tasklet::sleep(0.01);
      a.kill();
    });
    while (!registered) Tasklet::sleep(0.01);
    from_loop0 = shared.lookup("loop1.adder", 5.0).call(Sum{{10, 20, 30}}, 5.0);
    server.join(weft::never);
    shared = Connection();
  });
  CHECK(code == 0);
  CHECK(from_loop0 == 60);
  CHECK(from_loop1 == 2);
}

}  // TEST_SUITE
