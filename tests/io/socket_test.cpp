#include <fcntl.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "io/socket.hpp"
#include "io/stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using io_test::tcp_pair;
using weft::Endpoint;
using weft::Socket;
using weft::Tasklet;
using weft::TaskletExit;
using weft::TimeoutError;
using weft_test::check_kill_during;
using weft_test::contains;
using weft_test::near;
using weft_test::run;
using weft_test::since;

namespace {

// Fills the send direction of `s` (the peer never reads) until a write would block.
std::size_t fill_send_buffers(Socket& s) {
  std::vector<char> chunk(64 * 1024, 'x');
  std::size_t total = 0;
  for (;;) {
    try {
      total += s.write({chunk.data(), chunk.size()}, 0.0);
    } catch (const TimeoutError&) {
      return total;
    }
  }
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("TCP over IPv4: connect, accept, write, read, and 0 bytes at EOF") {
  run([] {
    Socket listener = io_test::loopback_listener();
    const Endpoint at = listener.local_endpoint();
    CHECK(at.family() == Endpoint::Family::ipv4);
    CHECK(at.port() != 0);
    auto server = Tasklet::spawn([&] {
      Socket s = listener.accept(2.0);
      char buf[16];
      const std::size_t n = s.read(buf, 2.0);
      s.write_all({buf, n}, 2.0);
    });
    Socket c = Socket::connect(at, 2.0);
    CHECK(c.is_open());
    CHECK(c.peer_endpoint() == at);
    CHECK(c.local_endpoint().address() == "127.0.0.1");
    c.write_all("hello", 2.0);
    char buf[16];
    c.read_exactly({buf, 5}, 2.0);
    CHECK(std::string(buf, 5) == "hello");
    server.join();
    CHECK(c.read(buf, 2.0) == 0);  // the server's socket closed: EOF
    CHECK(c.read(buf, 2.0) == 0);  // and it stays at EOF
  });
}

TEST_CASE("TCP over IPv6 and Unix stream sockets") {
  run([] {
    // IPv6 on ::1, when the machine has it.
    bool v6 = true;
    Socket l6;
    try {
      l6 = Socket::listen(Endpoint::ip("::1", 0));
    } catch (const weft::IoError& e) {
      v6 = false;
      MESSAGE("IPv6 loopback unavailable here: " << e.what());
    }
    if (v6) {
      CHECK(l6.local_endpoint().family() == Endpoint::Family::ipv6);
      Socket c = Socket::connect(l6.local_endpoint(), 2.0);
      Socket s = l6.accept(2.0);
      CHECK(s.peer_endpoint().family() == Endpoint::Family::ipv6);
      c.write_all("six", 2.0);
      char buf[3];
      s.read_exactly({buf, 3}, 2.0);
      CHECK(std::string(buf, 3) == "six");
    }
    // Unix path.
    const std::string path = "/tmp/weft-io-test-" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    {
      Socket lu = Socket::listen(Endpoint::unix_path(path));
      CHECK(lu.local_endpoint() == Endpoint::unix_path(path));
      Socket c = Socket::connect(Endpoint::unix_path(path), 2.0);
      Socket s = lu.accept(2.0);
      s.write_all("unix", 2.0);
      char buf[4];
      c.read_exactly({buf, 4}, 2.0);
      CHECK(std::string(buf, 4) == "unix");
      CHECK_THROWS_AS(c.set_nodelay(true), weft::IoError);  // no TCP options on Unix sockets
    }
    ::unlink(path.c_str());
  });
}

TEST_CASE("connect by host name resolves off the loop; failures say what went wrong") {
  run([] {
    Socket listener = io_test::loopback_listener();
    const auto port = listener.local_endpoint().port();
    Socket c = Socket::connect("localhost", port, 5.0);
    Socket s = listener.accept(2.0);
    CHECK(c.is_open());
    c.close();
    s.close();
    listener.close();
    // Nothing listens there any more: refused, with the reason in words.
    try {
      Socket::connect(Endpoint::ip("127.0.0.1", port), 2.0);
      FAIL("connect should have been refused");
    } catch (const weft::IoError& e) {
      CHECK(e.error_number() == ECONNREFUSED);
      CHECK(contains(e.what(), "connect to 127.0.0.1:" + std::to_string(port)));
      CHECK(contains(e.what(), "ECONNREFUSED"));
    }
    try {
      Socket::connect("localhost", port, 2.0);
      FAIL("connect should have been refused");
    } catch (const weft::IoError& e) {
      CHECK(contains(e.what(), "failed at every address"));
    }
    CHECK_THROWS_AS(Socket::connect("no-such-host.invalid", 80, 5.0), weft::ResolveError);
  });
}

TEST_CASE("connect by host name: one deadline for resolving and connecting, named after the host") {
  run([] {
    // Already expired: the lookup's wait times out at once, named as such.
    try {
      Socket::connect("localhost", 80, 0.0);
      FAIL("connect should time out");
    } catch (const TimeoutError& e) {
      CHECK_MESSAGE(contains(e.what(), "weft: resolving localhost timed out after 0 ns"), e.what());
    }
    // A listener whose backlog is full drops SYNs: the connect waits, and its
    // timeout names the host and the call's own timeout (or the scope's).
    Socket full = io_test::loopback_listener({.backlog = 0});
    const auto port = full.local_endpoint().port();
    std::vector<Socket> queued;
    bool timed_out = false;
    for (int i = 0; i < 8 && !timed_out; ++i) {
      try {
        queued.push_back(Socket::connect(full.local_endpoint(), 0.2));
      } catch (const TimeoutError&) {
        timed_out = true;
      }
    }
    REQUIRE(timed_out);
    const std::string target = "connect to localhost port " + std::to_string(port);
    auto start = weft::now();
    try {
      Socket::connect("localhost", port, 0.2);
      FAIL("connect should time out");
    } catch (const TimeoutError& e) {
      CHECK(near(since(start), 0.2));
      CHECK_MESSAGE(contains(e.what(), target + " timed out after 200 ms"), e.what());
    }
    start = weft::now();
    try {
      weft::DeadlineScope scope(0.2);
      Socket::connect("localhost", port);
      FAIL("connect should time out");
    } catch (const TimeoutError& e) {
      CHECK(near(since(start), 0.2));
      CHECK_MESSAGE(
          contains(e.what(), target + " timed out: the enclosing deadline scope of 200 ms"),
          e.what());
    }
  });
}

TEST_CASE("a timeout on every kind of call: read, write, accept, connect, waits") {
  run([] {
    auto [c, s] = tcp_pair();
    char buf[8];
    auto start = weft::now();
    try {
      c.read(buf, 0.1);
      FAIL("read should time out");
    } catch (const TimeoutError& e) {
      CHECK(near(since(start), 0.1));
      CHECK(contains(e.what(), "read from 127.0.0.1:"));
      CHECK(contains(e.what(), "timed out after 100 ms"));
    }
    start = weft::now();
    CHECK_THROWS_AS(c.read_exactly(buf, 0.1), TimeoutError);
    CHECK(near(since(start), 0.1));
    start = weft::now();
    CHECK_THROWS_AS(c.wait_readable(0.1), TimeoutError);
    CHECK(near(since(start), 0.1));

    c.set_send_buffer_size(4096);
    s.set_recv_buffer_size(4096);
    fill_send_buffers(c);
    start = weft::now();
    try {
      c.write_all(std::string(100000, 'y'), 0.1);
      FAIL("write_all should time out");
    } catch (const TimeoutError& e) {
      CHECK(near(since(start), 0.1));
      CHECK(contains(e.what(), "write to 127.0.0.1:"));
    }
    start = weft::now();
    CHECK_THROWS_AS(c.write("z", 0.1), TimeoutError);
    CHECK(near(since(start), 0.1));
    start = weft::now();
    CHECK_THROWS_AS(c.wait_writable(0.1), TimeoutError);
    CHECK(near(since(start), 0.1));

    Socket listener = io_test::loopback_listener();
    start = weft::now();
    try {
      listener.accept(0.1);
      FAIL("accept should time out");
    } catch (const TimeoutError& e) {
      CHECK(near(since(start), 0.1));
      CHECK(contains(e.what(), "accept on 127.0.0.1:"));
    }

    // A listener whose backlog is full drops SYNs: the connect waits.
    Socket full = io_test::loopback_listener({.backlog = 0});
    std::vector<Socket> queued;
    bool timed_out = false;
    for (int i = 0; i < 8 && !timed_out; ++i) {
      start = weft::now();
      try {
        queued.push_back(Socket::connect(full.local_endpoint(), 0.2));
      } catch (const TimeoutError& e) {
        timed_out = true;
        CHECK(near(since(start), 0.2));
        CHECK(contains(e.what(), "connect to 127.0.0.1:"));
      }
    }
    CHECK(timed_out);

    // A DeadlineScope bounds calls that take the default timeout.
    start = weft::now();
    {
      weft::DeadlineScope scope(0.1);
      CHECK_THROWS_AS(c.read(buf), TimeoutError);
    }
    CHECK(near(since(start), 0.1));
  });
}

TEST_CASE("a socket whose fd was closed behind its back: a wait throws IoError (EBADF), not a timeout") {
  run([] {
    auto [c, s] = tcp_pair();
    const int fd = c.fd();
    const int keep = ::dup(fd);  // puts the number back afterwards, for c's own close
    REQUIRE(keep >= 0);
    ::close(fd);
    auto start = weft::now();
    try {
      c.wait_readable(1.0);
      FAIL("no error");
    } catch (const weft::IoError& e) {
      CHECK(e.error_number() == EBADF);
      CHECK(contains(e.what(), "127.0.0.1:"));
    }
    CHECK(since(start) < 0.5);
    REQUIRE(::dup2(keep, fd) == fd);
    ::close(keep);
  });
}

TEST_CASE("read_exactly: waits for all n bytes; EOF in the middle gives a clear EofError") {
  run([] {
    auto [c, s] = tcp_pair();
    auto writer = Tasklet::spawn([&s = s] {
      s.write_all("ab", 1.0);
      Tasklet::sleep(0.05);
      s.write_all("cd", 1.0);
      Tasklet::sleep(0.05);
      s.write_all("ef", 1.0);
      s.close();
    });
    char buf[4];
    const auto start = weft::now();
    c.read_exactly({buf, 4}, 2.0);
    CHECK(std::string(buf, 4) == "abcd");
    CHECK(near(since(start), 0.05));
    try {
      c.read_exactly({buf, 4}, 2.0);
      FAIL("read_exactly should hit EOF");
    } catch (const weft::EofError& e) {
      CHECK(contains(e.what(), "read_exactly of 4 bytes"));
      CHECK(contains(e.what(), "closed the connection after 2 bytes"));
    }
    writer.join();
  });
}

TEST_CASE("peer reset: reads and writes fail with ConnectionResetError") {
  run([] {
    {
      auto [c, s] = tcp_pair();
      s.close_with_reset();
      char buf[8];
      try {
        c.read(buf, 2.0);
        FAIL("read should see the reset");
      } catch (const weft::ConnectionResetError& e) {
        CHECK(e.error_number() == ECONNRESET);
        CHECK(contains(e.what(), "the peer reset the connection"));
      }
    }
    {
      auto [c, s] = tcp_pair();
      s.close_with_reset();
      Tasklet::sleep(0.02);  // let the RST arrive
      CHECK_THROWS_AS(c.write_all(std::string(1000, 'x'), 2.0), weft::ConnectionResetError);
      // Later writes keep failing the same defined way (EPIPE), never with SIGPIPE.
      CHECK_THROWS_AS(c.write_all("x", 2.0), weft::ConnectionResetError);
    }
  });
}

TEST_CASE("half-close: after shutdown(write) the peer reads EOF and can still answer") {
  run([] {
    auto [c, s] = tcp_pair();
    c.write_all("question", 2.0);
    c.shutdown(weft::Shutdown::write);
    std::string got;
    char buf[64];
    while (std::size_t n = s.read(buf, 2.0)) got.append(buf, n);
    CHECK(got == "question");
    s.write_all("answer", 2.0);  // the other direction is still open
    s.shutdown(weft::Shutdown::both);
    std::string answer;
    while (std::size_t n = c.read(buf, 2.0)) answer.append(buf, n);
    CHECK(answer == "answer");
    CHECK_THROWS_AS(c.write_all("more", 2.0), weft::ConnectionResetError);  // EPIPE after our shutdown
    c.close();
    CHECK_THROWS_AS(c.shutdown(), weft::SocketClosedError);
    // shutdown(read): our own reads see EOF at once.
    auto [c2, s2] = tcp_pair();
    auto reader = Tasklet::spawn([&c2 = c2] {
      char b[4];
      return c2.read(b, 2.0);
    });
    Tasklet::yield_();
    c2.shutdown(weft::Shutdown::read);
    CHECK(reader.join() == 0);
  });
}

TEST_CASE("close wakes the tasklets parked in the socket with SocketClosedError") {
  run([] {
    auto [c, s] = tcp_pair();
    Socket listener = io_test::loopback_listener();
    c.set_send_buffer_size(4096);
    fill_send_buffers(c);
    std::vector<std::string> errors;
    auto park = [&](auto f) {
      return Tasklet::spawn([&errors, f] {
        try {
          f();
        } catch (const weft::SocketClosedError& e) {
          errors.push_back(e.what());
        }
      });
    };
    char buf[8];
    auto reader = park([&] { c.read(buf, 5.0); });
    auto writer = park([&] { c.write_all(std::string(100000, 'x'), 5.0); });
    auto acceptor = park([&] { listener.accept(5.0); });
    Tasklet::yield_();
    CHECK(c.waiting_readers() == 1);
    CHECK(c.waiting_writers() == 1);
    CHECK(listener.waiting_readers() == 1);
    const auto start = weft::now();
    c.close();
    listener.close();
    Tasklet::join_all({reader, writer, acceptor}, 1.0);
    CHECK(since(start) < 0.05);
    REQUIRE(errors.size() == 3);
    for (const auto& e : errors) CHECK(contains(e, "closed while waiting"));
    CHECK(c.waiting_readers() == 0);
    CHECK(c.waiting_writers() == 0);
    CHECK_FALSE(c.is_open());
    CHECK(c.fd() == -1);
    CHECK_THROWS_AS(c.read({buf, 1}, 1.0), weft::SocketClosedError);
    CHECK_THROWS_AS(c.write_all("x", 1.0), weft::SocketClosedError);
    CHECK_THROWS_AS(listener.accept(1.0), weft::SocketClosedError);
    c.close();  // idempotent
  });
}

TEST_CASE("kill of a tasklet parked in read, write, accept and connect; the socket stays usable") {
  run([] {
    auto [c, s] = tcp_pair();
    char buf[8];
    check_kill_during("read", [&] { c.read(buf, 10.0); });
    CHECK(c.waiting_readers() == 0);
    check_kill_during("read_line", [&] {
      weft::BufferedStream in(c);
      in.read_line(10.0);
    });
    CHECK(c.waiting_readers() == 0);
    s.write_all("still", 1.0);
    c.read_exactly({buf, 5}, 1.0);
    CHECK(std::string(buf, 5) == "still");

    c.set_send_buffer_size(4096);
    fill_send_buffers(c);
    check_kill_during("write_all", [&] { c.write_all(std::string(100000, 'x'), 10.0); });
    CHECK(c.waiting_writers() == 0);

    Socket listener = io_test::loopback_listener();
    check_kill_during("accept", [&] { listener.accept(10.0); });
    CHECK(listener.waiting_readers() == 0);
    Socket late = Socket::connect(listener.local_endpoint(), 1.0);
    CHECK(listener.accept(1.0).is_open());

    Socket full = io_test::loopback_listener({.backlog = 0});
    std::vector<Socket> queued;
    for (int i = 0; i < 4; ++i) {
      try {
        queued.push_back(Socket::connect(full.local_endpoint(), 0.1));
      } catch (const TimeoutError&) {
        break;
      }
    }
    check_kill_during("connect", [&] { Socket::connect(full.local_endpoint(), 10.0); });
  });
}

TEST_CASE("write returns how much the socket took; zero-byte calls return 0") {
  run([] {
    auto [c, s] = tcp_pair();
    CHECK(c.write("abc", 1.0) == 3);
    CHECK(c.write("", 1.0) == 0);
    char buf[3];
    CHECK(s.read({buf, 0}, 1.0) == 0);
    s.read_exactly({buf, 3}, 1.0);
    c.set_send_buffer_size(4096);
    s.set_recv_buffer_size(4096);
    std::string big(1 << 20, 'b');
    const std::size_t n = c.write(big, 1.0);
    CHECK(n > 0);
    CHECK(n < big.size());
  });
}

TEST_CASE("options: nodelay on by default, reuseaddr, reuseport, buffer sizes") {
  run([] {
    auto [c, s] = tcp_pair();
    CHECK(c.nodelay());
    CHECK(s.nodelay());  // accepted sockets too
    c.set_nodelay(false);
    CHECK_FALSE(c.nodelay());
    auto [c2, s2] = tcp_pair({.nodelay = false, .recv_buffer = 8192, .send_buffer = 8192});
    CHECK_FALSE(c2.nodelay());
    CHECK(c2.recv_buffer_size() >= 8192);
    CHECK(c2.send_buffer_size() >= 8192);
    c.set_recv_buffer_size(16384);
    CHECK(c.recv_buffer_size() >= 16384);
    c.set_send_buffer_size(16384);
    CHECK(c.send_buffer_size() >= 16384);

    Socket l = io_test::loopback_listener();
    CHECK(l.reuseaddr());
    CHECK_FALSE(l.reuseport());
    l.set_reuseaddr(false);
    CHECK_FALSE(l.reuseaddr());
    l.set_reuseport(true);
    CHECK(l.reuseport());

    // Two listeners share a port with reuseport.
    Socket a = Socket::listen(Endpoint::ip("127.0.0.1", 0), {.reuseport = true});
    Socket b = Socket::listen(a.local_endpoint(), {.reuseport = true});
    CHECK(b.local_endpoint() == a.local_endpoint());
    // Without it the port is busy, and the error says so.
    try {
      Socket::listen(a.local_endpoint());
      FAIL("listen should fail");
    } catch (const weft::IoError& e) {
      CHECK(e.error_number() == EADDRINUSE);
      CHECK(contains(e.what(), "cannot listen on " + a.local_endpoint().to_string()));
    }
    Socket closed;
    CHECK_THROWS_AS(closed.nodelay(), weft::SocketClosedError);
    CHECK_THROWS_AS(closed.set_nodelay(true), weft::SocketClosedError);
    CHECK_THROWS_AS(closed.local_endpoint(), weft::SocketClosedError);
  });
}

TEST_CASE("adopting an fd (a pipe), release, move, and the readiness waits") {
  run([] {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    Socket r(fds[0]);
    Socket w(fds[1]);
    CHECK((::fcntl(r.fd(), F_GETFL) & O_NONBLOCK) != 0);
    auto reader = Tasklet::spawn([&r] {
      r.wait_readable(1.0);
      char buf[4];
      r.read_exactly({buf, 4}, 1.0);
      return std::string(buf, 4);
    });
    Tasklet::yield_();
    CHECK(r.waiting_readers() == 1);
    w.wait_writable(1.0);
    w.write_all("pipe", 1.0);  // not a socket: plain write()
    CHECK(reader.join() == "pipe");
    Socket moved(std::move(r));
    CHECK_FALSE(r.is_open());
    CHECK(moved.is_open());
    Socket assigned;
    assigned = std::move(moved);
    CHECK(assigned.is_open());
    const int fd = assigned.release();
    CHECK_FALSE(assigned.is_open());
    CHECK(::fcntl(fd, F_GETFD) >= 0);  // still open: released, not closed
    ::close(fd);
    CHECK_THROWS_AS(Socket(-1), std::invalid_argument);
    CHECK_THROWS_AS(w.peer_endpoint(), weft::IoError);  // a pipe has no peer
  });
}

TEST_CASE("socket calls outside a tasklet throw NotInTasklet only when they must park") {
  run([] {
    auto [c, s] = tcp_pair();
    s.write_all("x", 1.0);
    Tasklet::sleep(0.01);
    weft::LoopRef loop = weft::this_loop();
    bool threw = false;
    bool read_ok = false;
    loop.post([&c = c, &threw, &read_ok] {
      char b;
      read_ok = c.read({&b, 1}, 1.0) == 1;  // data is there: no park, fine outside a tasklet
      try {
        c.read({&b, 1}, 1.0);
      } catch (const weft::NotInTasklet&) {
        threw = true;
      }
    });
    Tasklet::sleep(0.05);
    CHECK(read_ok);
    CHECK(threw);
  });
}


TEST_CASE("the end of the stream that came with the data a parked read took ends the next read at once") {
  run([] {
    auto [ours, peer] = tcp_pair();
    std::size_t first = 0;
    std::size_t second = 99;
    double second_took = -1;
    auto reader = Tasklet::spawn([&, &ours = ours] {
      char buf[64];
      first = ours.read({buf, sizeof buf});  // parked: nothing there yet
      const auto start = weft::now();
      second = ours.read({buf, sizeof buf}, 1.0);
      second_took = since(start);
    });
    Tasklet::yield_();  // the reader parks
    peer.write_all("abc\n");
    peer.write_all("def");
    peer.shutdown();  // data and end of stream arrive before the reader runs again
    reader.join();
    CHECK(first == 7);
    CHECK(second == 0);
    CHECK(second_took < 0.2);  // it waited for its 1 s timeout before the fix
  });
}

}  // TEST_SUITE
