// TlsStream between two weft tasklets: echo through BufferedStream, ALPN,
// SNI, close_notify, the handshake timeout, reads and writes at once.

#include <string>
#include <vector>

#include "io/detail/buffer_pool.hpp"
#include "io/stream.hpp"
#include "io/tls_stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/io/tls_support.hpp"
#include "tests/support/weft_test.hpp"

using io_test::loopback_listener;
using io_test::tcp_pair;
using tls_test::client_context;
using tls_test::files;
using tls_test::server_context;
using weft::BufferedStream;
using weft::Socket;
using weft::Tasklet;
using weft::TlsStream;
using weft_test::contains;
using weft_test::run;
using weft_test::since;

TEST_SUITE("tls") {

TEST_CASE("echo over TLS, weft to weft, through BufferedStream; ALPN and SNI agreed") {
  run([] {
    const weft::TlsContext sctx = server_context({"http/1.1"});
    const weft::TlsContext cctx = client_context({"h2", "http/1.1"});
    Socket listener = loopback_listener();
    std::string seen_name;
    std::string server_alpn;
    auto server = Tasklet::spawn([&] {
      Socket conn = listener.accept(5.0);
      TlsStream tls = TlsStream::accept(conn, sctx, 5.0);
      seen_name = tls.server_name();
      server_alpn = tls.alpn_protocol();
      BufferedStream stream(tls);
      for (;;) {
        std::string line;
        try {
          line = stream.read_line(5.0);
        } catch (const weft::EofError&) {
          break;
        }
        stream.write(line + "\n");
        stream.flush();
      }
      CHECK(tls.peer_closed());
      tls.close();
    });
    Socket s = Socket::connect(listener.local_endpoint(), 5.0);
    TlsStream tls = TlsStream::connect(s, cctx, "localhost", 5.0);
    CHECK(tls.alpn_protocol() == "http/1.1");
    CHECK(tls.protocol_version() == "TLSv1.3");
    CHECK(tls.peer_subject() == "CN=localhost");
    BufferedStream stream(tls);
    const std::string big(50'000, 'x');  // several TLS records
    for (const std::string& line : {std::string("hello"), big, std::string("bye")}) {
      stream.write(line + "\n");
      stream.flush();
      CHECK(stream.read_line(5.0) == line);
    }
    tls.close();
    CHECK_FALSE(s.is_open());
    server.join(5.0);
    CHECK(seen_name == "localhost");
    CHECK(server_alpn == "http/1.1");
  });
}

TEST_CASE("close sends close_notify: the peer reads a clean end; a bare TCP close is an EofError") {
  run([] {
    const weft::TlsContext sctx = server_context();
    const weft::TlsContext cctx = client_context();
    for (const bool clean : {true, false}) {
      CAPTURE(clean);
      Socket listener = loopback_listener();
      std::string outcome;
      auto server = Tasklet::spawn([&] {
        Socket conn = listener.accept(5.0);
        TlsStream tls = TlsStream::accept(conn, sctx, 5.0);
        char buf[64];
        try {
          const std::size_t n = tls.read({buf, sizeof buf}, 5.0);
          outcome = n == 0 && tls.peer_closed() ? "clean end" : "data";
        } catch (const weft::EofError& e) {
          outcome = e.what();
          try {
            tls.read({buf, sizeof buf}, 5.0);
          } catch (const weft::TlsError& again) {
            outcome += std::string(" / ") + again.what();
          }
        }
      });
      Socket s = Socket::connect(listener.local_endpoint(), 5.0);
      TlsStream tls = TlsStream::connect(s, cctx, "127.0.0.1", 5.0);
      if (clean) {
        tls.close(5.0);
      } else {
        s.close();
      }
      server.join(5.0);
      if (clean) {
        CHECK(outcome == "clean end");
      } else {
        CHECK(contains(outcome, "read from 127.0.0.1:"));
        CHECK(contains(outcome, "without a TLS close_notify"));
        CHECK(contains(outcome, " / weft: read from 127.0.0.1:"));  // and so does the next read
        CHECK(contains(outcome, "failed: the TLS stream failed earlier"));
      }

    }
  });
}

TEST_CASE("SNI: the server serves the context registered for the name the client asks for") {
  run([] {
    // The default context's certificate is for wrong.example: a client
    // verifying localhost or alt.example succeeds only if the name switched it.
    weft::TlsContext sctx = server_context({}, files().wrong_host, files().wrong_host_key);
    sctx.add_server_name("LocalHost", server_context());
    std::vector<std::string> asked;
    sctx.on_server_name([&](std::string_view name) -> std::optional<weft::TlsContext> {
      asked.emplace_back(name);
      if (name == "alt.example") return server_context({}, files().alt, files().alt_key);
      return std::nullopt;
    });
    const weft::TlsContext cctx = client_context();
    Socket listener = loopback_listener();
    std::vector<std::string> seen;
    auto server = Tasklet::spawn([&] {
      for (int i = 0; i < 2; ++i) {
        Socket conn = listener.accept(5.0);
        TlsStream tls = TlsStream::accept(conn, sctx, 5.0);
        seen.push_back(tls.server_name());
        tls.close(5.0);
      }
    });
    for (const char* host : {"localhost", "alt.example"}) {
      Socket s = Socket::connect(listener.local_endpoint(), 5.0);
      TlsStream tls = TlsStream::connect(s, cctx, host, 5.0);
      CHECK(tls.server_name() == host);
      CHECK(tls.peer_subject() == std::string("CN=") + host);
      tls.close(5.0);
    }
    server.join(5.0);
    CHECK(seen == std::vector<std::string>{"localhost", "alt.example"});
    CHECK(asked == std::vector<std::string>{"alt.example"});  // the map answered localhost
  });
}

TEST_CASE("an SNI callback that throws fails that handshake with its exception") {
  run([] {
    weft::TlsContext sctx = server_context();
    sctx.on_server_name([](std::string_view name) -> std::optional<weft::TlsContext> {
      throw std::runtime_error("no certificate for " + std::string(name));
    });
    Socket listener = loopback_listener();
    std::string server_error;
    auto server = Tasklet::spawn([&] {
      Socket conn = listener.accept(5.0);
      try {
        TlsStream::accept(conn, sctx, 5.0);
      } catch (const std::runtime_error& e) {
        server_error = e.what();
      }
    });
    Socket s = Socket::connect(listener.local_endpoint(), 5.0);
    CHECK_THROWS_AS(TlsStream::connect(s, client_context(), "localhost", 5.0), weft::TlsError);
    server.join(5.0);
    CHECK(server_error == "no certificate for localhost");
  });
}

TEST_CASE("ALPN without a protocol in common fails the handshake on both sides") {
  run([] {
    const weft::TlsContext sctx = server_context({"http/1.1"});
    Socket listener = loopback_listener();
    std::string server_error;
    auto server = Tasklet::spawn([&] {
      Socket conn = listener.accept(5.0);
      try {
        TlsStream::accept(conn, sctx, 5.0);
      } catch (const weft::TlsError& e) {
        server_error = e.what();
      }
    });
    Socket s = Socket::connect(listener.local_endpoint(), 5.0);
    try {
      TlsStream::connect(s, client_context({"h2"}), "localhost", 5.0);
      FAIL("the handshake succeeded");
    } catch (const weft::TlsError& e) {
      CHECK(contains(e.what(), "TLS handshake with 127.0.0.1:"));
      CHECK(contains(e.what(), "no application protocol"));
    }
    server.join(5.0);
    CHECK(contains(server_error, "no application protocol"));
  });
}

TEST_CASE("a peer that stops mid-handshake: the handshake times out, on either side") {
  run([] {
    SUBCASE("server: the client connects and sends nothing") {
      io_test::Pair p = tcp_pair();
      const auto start = weft::now();
      try {
        TlsStream::accept(p.server, server_context(), 0.2);
        FAIL("the handshake finished");
      } catch (const weft::TimeoutError& e) {
        CHECK(contains(e.what(), "TLS handshake with 127.0.0.1:"));
        CHECK(contains(e.what(), "timed out"));
      }
      CHECK(weft_test::near(since(start), 0.2));
    }
    SUBCASE("client: the server reads the ClientHello and never answers") {
      io_test::Pair p = tcp_pair();
      const auto start = weft::now();
      CHECK_THROWS_AS(TlsStream::connect(p.client, client_context(), "localhost", 0.2),
                      weft::TimeoutError);
      CHECK(weft_test::near(since(start), 0.2));
      char buf[16];
      CHECK(p.server.read({buf, sizeof buf}, 1.0) > 0);  // the ClientHello was sent
    }
    SUBCASE("the socket's read timeouts bound reads of the TLS stream") {
      io_test::Pair p = tcp_pair();
      auto server = Tasklet::spawn([&] { return TlsStream::accept(p.server, server_context(), 5.0); });
      TlsStream tls = TlsStream::connect(p.client, client_context(), "localhost", 5.0);
      TlsStream peer = server.join(5.0);
      p.client.set_read_timeouts(std::chrono::milliseconds(150), std::chrono::milliseconds(150));
      BufferedStream stream(tls);
      const auto start = weft::now();
      CHECK_THROWS_AS(stream.read_line(), weft::TimeoutError);
      CHECK(weft_test::near(since(start), 0.15));
    }
  });
}

TEST_CASE("a killed handshake and a killed read unwind and leave nothing behind") {
  run([] {
    io_test::Pair p = tcp_pair();
    weft_test::check_kill_during("a TLS handshake", [&] {
      TlsStream::accept(p.server, server_context(), 5.0);
    });
    io_test::Pair q = tcp_pair();
    auto server = Tasklet::spawn([&] { return TlsStream::accept(q.server, server_context(), 5.0); });
    TlsStream tls = TlsStream::connect(q.client, client_context(), "localhost", 5.0);
    TlsStream peer = server.join(5.0);
    weft_test::check_kill_during("a TLS read", [&] {
      char buf[8];
      tls.read({buf, sizeof buf}, 5.0);
    });
  });
}

TEST_CASE("one tasklet reads while another writes, a megabyte each way") {
  run([] {
    io_test::Pair p = tcp_pair();
    auto server = Tasklet::spawn([&] { return TlsStream::accept(p.server, server_context(), 5.0); });
    TlsStream a = TlsStream::connect(p.client, client_context(), "localhost", 5.0);
    TlsStream b = server.join(5.0);
    constexpr std::size_t kBytes = 1 << 20;
    std::string data(kBytes, '\0');
    for (std::size_t i = 0; i < kBytes; ++i) data[i] = static_cast<char>('a' + i % 23);
    auto pump = [&](TlsStream& from, TlsStream& to) {
      auto writer = Tasklet::spawn([&] { from.write_all(data, 10.0); });
      std::string got(kBytes, '\0');
      to.read_exactly({got.data(), got.size()}, 10.0);
      writer.join(10.0);
      return got == data;
    };
    auto ab = Tasklet::spawn([&] { return pump(a, b); });
    auto ba = Tasklet::spawn([&] { return pump(b, a); });
    CHECK(ab.join(20.0));
    CHECK(ba.join(20.0));
  });
}

TEST_CASE("a TLS stream parked in read_line waiting for the next line holds no stream buffer") {
  run([] {
    io_test::Pair p = tcp_pair();
    auto server = Tasklet::spawn([&] { return TlsStream::accept(p.server, server_context(), 5.0); });
    TlsStream a = TlsStream::connect(p.client, client_context(), "localhost", 5.0);
    TlsStream b = server.join(5.0);
    weft::detail::BufferPool& pool = weft::detail::io_runtime().buffers;
    BufferedStream stream(b);
    a.write_all("first\n", 5.0);
    CHECK(stream.read_line(5.0) == "first");
    const std::size_t before = pool.blocks_in_use();
    auto reader = Tasklet::spawn([&] { return stream.read_line(5.0); });
    for (int i = 0; i < 5; ++i) Tasklet::yield_();
    CHECK(pool.blocks_in_use() == before);  // parked with nothing buffered
    a.write_all("second\n", 5.0);
    CHECK(reader.join(5.0) == "second");
    CHECK(pool.blocks_in_use() == before);
  });
}

TEST_CASE("writing to a peer that has gone: ConnectionResetError naming it, never SIGPIPE") {
  run([] {
    io_test::Pair p = tcp_pair();
    auto server = Tasklet::spawn([&] { return TlsStream::accept(p.server, server_context(), 5.0); });
    TlsStream tls = TlsStream::connect(p.client, client_context(), "localhost", 5.0);
    server.join(5.0);  // the server's stream is gone; its socket closes below
    p.server.close();
    const std::string chunk(4096, 'x');
    try {
      for (int i = 0; i < 10'000; ++i) tls.write_all(chunk, 5.0);
      FAIL("every write succeeded");
    } catch (const weft::ConnectionResetError& e) {
      CHECK(contains(e.what(), "write to 127.0.0.1:"));
    }
    // The stream takes no more writes: the TLS state may hold half a record.
    CHECK_THROWS_AS(tls.write_all("more", 1.0), weft::TlsError);
  });
}

}  // TEST_SUITE
