// serve_on_all_loops: one server on every loop of dispatch_loops.

#include <atomic>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "io/server_group.hpp"
#include "io/stream.hpp"
#include "sched/to_thread.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using weft::Endpoint;
using weft::Socket;
using weft::Tasklet;

namespace {

constexpr std::size_t kLoops = 2;

// An echo handler (one write per line read) that counts, per loop, the
// connections it served and the most it held at once.
struct Counts {
  std::atomic<int> per_loop[kLoops] = {};
  std::atomic<int> active{0};
  std::atomic<int> max_active{0};
};

weft::ConnectionHandler echo(Counts& c) {
  return [&c](Socket& s) {
    ++c.per_loop[weft::loop_index()];
    const int now = ++c.active;
    int seen = c.max_active.load();
    while (now > seen && !c.max_active.compare_exchange_weak(seen, now)) {
    }
    struct Leave {
      std::atomic<int>& n;
      ~Leave() { --n; }
    } leave{c.active};
    weft::BufferedStream io(s);
    for (;;) {
      std::string line;
      try {
        line = io.read_line(10.0);
      } catch (const weft::IoError&) {
        return;  // the client closed
      }
      io.write(line + "\n");
      io.flush();
    }
  };
}

// Runs `clients` client tasklets on a loop of their own (another thread):
// each connects, round-trips one line, holds the connection until all are
// released (or `hold` seconds), then closes. Returns how many got their echo.
int run_clients(const Endpoint& at, int clients, double hold, std::atomic<int>& connected,
                const std::atomic<bool>& release) {
  std::atomic<int> ok{0};
  std::thread t([&] {
    weft::dispatch([&] {
      std::vector<Tasklet> ts;
      for (int i = 0; i < clients; ++i) {
        ts.push_back(Tasklet::spawn([&, i] {
          Socket s = Socket::connect(at, 10.0);
          weft::BufferedStream io(s);
          const std::string msg = "hello " + std::to_string(i);
          io.write(msg + "\n");
          io.flush();
          if (io.read_line(10.0) == msg) ++ok;
          ++connected;
          const auto start = weft::now();
          while (!release && weft_test::since(start) < hold) Tasklet::sleep(0.01);
        }));
      }
      for (auto& x : ts) Tasklet::join(x);
    });
  });
  t.join();
  return ok;
}

}  // namespace

TEST_SUITE("loops") {

TEST_CASE("a server on 2 loops serves 1,000 connections at once, on both loops") {
  io_test::FdLimit limit(4096);
  REQUIRE(limit.soft() >= 2100);
  Counts counts;
  std::atomic<int> connected{0};
  std::atomic<bool> release{false};
  int ok = 0;
  std::size_t peak = 0;
  const int code = weft::dispatch_loops(kLoops, [&](std::size_t i) {
    if (i != 0) return;
    auto servers = weft::serve_on_all_loops(Endpoint::ip("127.0.0.1", 0), echo(counts));
    CHECK(servers.loops() == kLoops);
    CHECK(servers.endpoint().port() != 0);
    auto watcher = Tasklet::spawn([&] {
      while (connected < 1000) Tasklet::sleep(0.005);
      peak = servers.connections();
      release = true;
    });
    ok = weft::to_thread([&] { return run_clients(servers.endpoint(), 1000, 10.0, connected, release); });
    watcher.join(5.0);
    CHECK(servers.accepted() == 1000);
    servers.stop(2.0);
    CHECK(servers.connections() == 0);
  });
  CHECK(code == 0);
  CHECK(ok == 1000);
  CHECK(peak == 1000);
  CHECK(counts.per_loop[0] + counts.per_loop[1] == 1000);
  CHECK(counts.per_loop[0] > 0);  // SO_REUSEPORT spread them
  CHECK(counts.per_loop[1] > 0);
}

TEST_CASE("max_connections holds across the loops of a ServerGroup") {
  Counts counts;
  std::atomic<int> connected{0};
  const std::atomic<bool> never_released{false};
  int ok = 0;
  weft::dispatch_loops(kLoops, [&](std::size_t i) {
    if (i != 0) return;
    weft::ServerOptions o;
    o.max_connections = 10;
    auto servers = weft::serve_on_all_loops(Endpoint::ip("127.0.0.1", 0), echo(counts), o);
    // Each client holds its connection 0.1 s: 40 of them pass 10 at a time.
    ok = weft::to_thread([&] { return run_clients(servers.endpoint(), 40, 0.1, connected, never_released); });
    servers.stop(2.0);
  });
  CHECK(ok == 40);
  CHECK(counts.max_active <= 10);
  CHECK(counts.max_active >= 5);
}

TEST_CASE("ServerGroup::stop is graceful on every loop; a Unix path is shared by the loops") {
  Counts counts;
  const std::string path = io_test::unix_socket_path("group");
  std::atomic<bool> finished{false};
  weft::dispatch_loops(kLoops, [&](std::size_t i) {
    if (i != 0) return;
    auto servers = weft::serve_on_all_loops(Endpoint::unix_path(path), [&](Socket& s) {
      char c;
      s.read(std::span<char>(&c, 1), 5.0);
      Tasklet::sleep(0.1);  // within the grace
      finished = true;
    });
    Socket c = Socket::connect(Endpoint::unix_path(path), 2.0);
    c.write_all("x", 2.0);
    Tasklet::sleep(0.02);
    CHECK(servers.connections() == 1);
    const auto start = weft::now();
    servers.stop(2.0);
    CHECK(finished);
    CHECK(weft_test::since(start) < 1.0);
    CHECK(servers.connections() == 0);
    CHECK_THROWS_AS(Socket::connect(Endpoint::unix_path(path), 1.0), weft::IoError);
  });
}

TEST_CASE("serve_on_all_loops: a port in use fails at once; under dispatch() it is one server") {
  weft_test::run([] {
    Socket taken = Socket::listen(Endpoint::ip("127.0.0.1", 0));
    CHECK_THROWS_AS(weft::serve_on_all_loops(taken.local_endpoint(), [](Socket&) {}), weft::IoError);
    auto one = weft::serve_on_all_loops(Endpoint::ip("127.0.0.1", 0), [](Socket& s) { s.write_all("hi", 1.0); });
    CHECK(one.loops() == 1);
    Socket c = Socket::connect(one.endpoint(), 2.0);
    std::string got(2, '\0');
    c.read_exactly(got, 2.0);
    CHECK(got == "hi");
    one.stop(1.0);
  });
}

}  // TEST_SUITE
