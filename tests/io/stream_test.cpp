#include <unistd.h>

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "io/detail/buffer_pool.hpp"
#include "io/stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using io_test::tcp_pair;
using weft::BufferedStream;
using weft::Socket;
using weft::Tasklet;
using weft::TimeoutError;
using weft_test::contains;
using weft_test::near;
using weft_test::run;
using weft_test::since;

namespace {

weft::detail::BufferPool& pool() { return weft::detail::io_runtime().buffers; }

// This process's resident set, in bytes (/proc/self/statm).
std::size_t rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  REQUIRE(f != nullptr);
  unsigned long size = 0;
  unsigned long resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  REQUIRE(n == 2);
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

// n bytes that differ from their neighbours, so a misplaced chunk shows.
std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("read_line: LF and CRLF, lines split across reads, a final line without newline") {
  run([] {
    auto [c, s] = tcp_pair();
    auto writer = Tasklet::spawn([&s = s] {
      s.write_all("one\ntwo\r\nthr", 1.0);
      Tasklet::sleep(0.02);
      s.write_all("ee\n\nlast", 1.0);
      s.close();
    });
    BufferedStream in(c);
    CHECK(in.read_line(1.0) == "one");
    CHECK(in.read_line(1.0) == "two");
    CHECK(in.read_line(1.0) == "three");
    CHECK(in.read_line(1.0) == "");
    CHECK(in.read_line(1.0) == "last");  // EOF ends the final line: returned as is
    CHECK_THROWS_WITH_AS(in.read_line(1.0), doctest::Contains("the peer closed the connection"),
                         weft::EofError);
    writer.join();
  });
}

TEST_CASE("EOF in the middle of a line: read_line returns the rest, read_until throws EofError") {
  run([] {
    {
      auto [c, s] = tcp_pair();
      s.write_all("complete\npartial", 1.0);
      s.close();
      BufferedStream in(c);
      CHECK(in.read_line(1.0) == "complete");
      CHECK(in.read_line(1.0) == "partial");
      CHECK_THROWS_AS(in.read_line(1.0), weft::EofError);
    }
    {
      auto [c, s] = tcp_pair();
      s.write_all("GET / HTTP/1.1\r\nHost: x\r\n", 1.0);  // the blank line never comes
      s.close();
      BufferedStream in(c);
      try {
        in.read_until("\r\n\r\n", 1.0);
        FAIL("read_until should hit EOF");
      } catch (const weft::EofError& e) {
        CHECK(contains(e.what(), "read_until from 127.0.0.1:"));
        CHECK(contains(e.what(), "after 25 bytes"));
      }
    }
  });
}

TEST_CASE("an oversized line gives LineTooLongError and leaves the bytes buffered") {
  run([] {
    auto [c, s] = tcp_pair();
    auto writer = Tasklet::spawn([&s = s] {
      s.write_all(std::string(100, 'a') + "\n" + std::string(20, 'b') + "\r\n" +
                      std::string(5000, 'c'),
                  1.0);
    });
    BufferedStream in(c, {.max_line = 20});
    CHECK(in.options().max_line == 20);
    try {
      in.read_line(1.0);
      FAIL("read_line should refuse the line");
    } catch (const weft::LineTooLongError& e) {
      CHECK(contains(e.what(), "the limit is 20"));
    }
    CHECK(in.buffered_input() > 20);
    CHECK(in.read_bytes(101, 1.0) == std::string(100, 'a') + "\n");
    CHECK(in.read_line(1.0) == std::string(20, 'b'));  // exactly the limit: fine (CRLF not counted)
    CHECK_THROWS_AS(in.read_line(1.0), weft::LineTooLongError);  // no newline within the limit
    CHECK_THROWS_AS(in.read_until("\n", 1.0, 100), weft::LineTooLongError);
    writer.join();
  });
  // Lines longer than one pooled buffer work up to the limit.
  run([] {
    auto [c, s] = tcp_pair();
    const std::string big(100000, 'L');
    auto writer = Tasklet::spawn([&s = s, &big] { s.write_all(big + "\n", 5.0); });
    BufferedStream in(c, {.max_line = 200000});
    CHECK(in.read_line(5.0) == big);
    writer.join();
  });
}

TEST_CASE("read_bytes and read_until wait for their data; read returns what is there") {
  run([] {
    auto [c, s] = tcp_pair();
    auto writer = Tasklet::spawn([&s = s] {
      s.write_all("12345", 1.0);
      Tasklet::sleep(0.05);
      s.write_all("67890HEAD\r\n\r\nBODY", 1.0);
      Tasklet::sleep(0.01);
      s.write_all(std::string(20000, 'z'), 1.0);
      s.close();
    });
    BufferedStream in(c);
    const auto start = weft::now();
    CHECK(in.read_bytes(8, 1.0) == "12345678");
    CHECK(near(since(start), 0.05));
    CHECK(in.read_until("\r\n\r\n", 1.0) == "90HEAD\r\n\r\n");
    char buf[2];
    CHECK(in.read({buf, 2}, 1.0) == 2);
    CHECK(std::string(buf, 2) == "BO");
    CHECK(in.read({buf, 0}, 1.0) == 0);
    CHECK(in.read_bytes(2, 1.0) == "DY");
    CHECK(in.read_bytes(20000, 1.0) == std::string(20000, 'z'));  // large: straight from the socket
    CHECK(in.read({buf, 2}, 1.0) == 0);                               // EOF
    try {
      in.read_bytes(3, 1.0);
      FAIL("read_bytes should hit EOF");
    } catch (const weft::EofError& e) {
      CHECK(contains(e.what(), "read_bytes(3)"));
    }
    CHECK_THROWS_AS(in.read_until("", 1.0), std::invalid_argument);
    writer.join();
  });
}

TEST_CASE("a timeout on each stream call, one deadline for the whole call") {
  run([] {
    auto [c, s] = tcp_pair();
    BufferedStream in(c);
    s.write_all("no newline yet", 1.0);
    auto start = weft::now();
    CHECK_THROWS_WITH_AS(in.read_line(0.1), doctest::Contains("read from 127.0.0.1:"), TimeoutError);
    CHECK(near(since(start), 0.1));
    CHECK(in.buffered_input() == 14);  // nothing lost: the line can still complete
    s.write_all("\n", 1.0);
    CHECK(in.read_line(1.0) == "no newline yet");

    // Bytes trickling in do not extend the deadline.
    auto trickle = Tasklet::spawn([&s = s] {
      for (int i = 0; i < 20; ++i) {
        s.write_all("x", 1.0);
        Tasklet::sleep(0.02);
      }
    });
    start = weft::now();
    CHECK_THROWS_AS(in.read_line(0.1), TimeoutError);
    CHECK(near(since(start), 0.1));
    start = weft::now();
    CHECK_THROWS_AS(in.read_bytes(1000, 0.1), TimeoutError);
    CHECK(near(since(start), 0.1));
    start = weft::now();
    CHECK_THROWS_AS(in.read_until("END", 0.1), TimeoutError);
    CHECK(near(since(start), 0.1));
    trickle.join();
    CHECK(in.read_bytes(20, 1.0) == std::string(20, 'x'));  // the timeouts lost nothing
    char buf[64];
    start = weft::now();
    CHECK_THROWS_AS(in.read(buf, 0.1), TimeoutError);
    CHECK(near(since(start), 0.1));

    // flush times out when the peer does not read; the rest stays buffered.
    c.set_send_buffer_size(4096);
    s.set_recv_buffer_size(4096);
    BufferedStream out(c);
    start = weft::now();
    bool timed_out = false;
    try {
      for (int i = 0; i < 1000; ++i) out.write(std::string(1000, 'w'), 0.1);
      out.flush(0.1);
    } catch (const TimeoutError&) {
      timed_out = true;
    }
    CHECK(timed_out);
    CHECK(since(start) < 0.3);
    CHECK(out.buffered_output() > 0);
  });
}

TEST_CASE("write buffers until flush; large writes go straight out; flush resumes after an error") {
  run([] {
    auto [c, s] = tcp_pair();
    BufferedStream out(c);
    out.write("hello ", 1.0);
    out.write("world\n", 1.0);
    CHECK(out.buffered_output() == 12);
    char buf[64];
    CHECK_THROWS_AS(s.read(buf, 0.05), TimeoutError);  // nothing sent yet
    out.flush(1.0);
    CHECK(out.buffered_output() == 0);
    BufferedStream in(s);
    CHECK(in.read_line(1.0) == "hello world");
    const std::string big(40000, 'B');
    out.write("head", 1.0);
    out.write(big, 1.0);  // flushes "head", then writes big directly
    CHECK(out.buffered_output() == 0);
    CHECK(in.read_bytes(40004, 2.0) == "head" + big);
    out.flush(1.0);  // nothing to do
    CHECK(&out.socket() == &c);

    // A flush interrupted by a timeout resumes where it stopped: nothing lost, nothing doubled.
    c.set_send_buffer_size(4096);
    s.set_recv_buffer_size(4096);
    std::string sent;
    for (int i = 0; i < 12; ++i) {
      std::string chunk(1000, static_cast<char>('a' + i));
      out.write(chunk, 1.0);
      sent += chunk;
    }
    try {
      out.write(std::string(100000, 'Z'), 0.05);
    } catch (const TimeoutError&) {
    }
    auto reader = Tasklet::spawn([&in] { return in.read_bytes(12000, 2.0); });
    out.flush(2.0);
    CHECK(reader.join() == sent);
  });
}

TEST_CASE("stream buffers come from the loop's pool and go back when the stream is empty") {
  run([] {
    auto [c, s] = tcp_pair();
    const std::size_t before = pool().blocks_in_use();
    {
      BufferedStream in(c);
      auto reader = Tasklet::spawn([&in] { return in.read_line(2.0); });
      Tasklet::sleep(0.02);
      CHECK(pool().blocks_in_use() == before);  // parked with nothing buffered: holds no buffer
      s.write_all("a\nb", 1.0);
      CHECK(reader.join() == "a");
      CHECK(pool().blocks_in_use() == before + 1);  // "b" is buffered
      s.write_all("\n", 1.0);
      CHECK(in.read_line(1.0) == "b");
      CHECK(pool().blocks_in_use() == before);
      const std::size_t free_before = pool().free_blocks();
      in.write("x", 1.0);
      CHECK(pool().blocks_in_use() == before + 1);
      in.flush(1.0);
      CHECK(pool().blocks_in_use() == before);
      CHECK(pool().free_blocks() >= free_before);  // reused, not freed
      in.write("unflushed", 1.0);
    }
    CHECK(pool().blocks_in_use() == before);  // the destructor gives buffers back
  });
}

TEST_CASE("a reader and a writer tasklet share one stream") {
  run([] {
    auto [c, s] = tcp_pair();
    BufferedStream a(c);
    BufferedStream b(s);
    auto echo = Tasklet::spawn([&b] {
      for (;;) {
        std::string line = b.read_line(2.0);
        if (line == "bye") return;
        b.write(line + "!\n", 1.0);
        b.flush(1.0);
      }
    });
    std::vector<std::string> got;
    auto reader = Tasklet::spawn([&a, &got] {
      for (int i = 0; i < 100; ++i) got.push_back(a.read_line(2.0));
    });
    for (int i = 0; i < 100; ++i) {
      a.write(std::to_string(i) + "\n", 1.0);
      if (i % 7 == 0) a.flush(1.0);
    }
    a.write("bye\n", 1.0);
    a.flush(1.0);
    reader.join();
    echo.join();
    REQUIRE(got.size() == 100);
    for (int i = 0; i < 100; ++i) CHECK(got[static_cast<std::size_t>(i)] == std::to_string(i) + "!");
  });
}

TEST_CASE("a stream over a closed socket, or one closed while parked, throws SocketClosedError") {
  run([] {
    {
      auto [c, s] = tcp_pair();
      BufferedStream in(c);
      c.close();
      CHECK_THROWS_WITH_AS(in.read_line(1.0), doctest::Contains("the socket is closed"),
                           weft::SocketClosedError);
      CHECK_THROWS_AS(in.read_bytes(4, 1.0), weft::SocketClosedError);
      CHECK_THROWS_AS(in.read_until("\n", 1.0), weft::SocketClosedError);
      char buf[4];
      CHECK_THROWS_AS(in.read(buf, 1.0), weft::SocketClosedError);
      in.write("x", 1.0);  // buffered: nothing touches the socket yet
      CHECK_THROWS_AS(in.flush(1.0), weft::SocketClosedError);
      CHECK(in.buffered_output() == 1);
    }
    {
      // A reader parked in read_line and a writer parked in flush, woken by close() elsewhere.
      auto [c, s] = tcp_pair();
      c.set_send_buffer_size(4096);
      s.set_recv_buffer_size(4096);
      BufferedStream io(c);
      std::vector<std::string> errors;
      auto reader = Tasklet::spawn([&] {
        try {
          io.read_line(5.0);
        } catch (const weft::SocketClosedError& e) {
          errors.push_back(e.what());
        }
      });
      auto writer = Tasklet::spawn([&] {
        try {
          for (int i = 0; i < 1000; ++i) io.write(std::string(1000, 'w'), 5.0);
          io.flush(5.0);
        } catch (const weft::SocketClosedError& e) {
          errors.push_back(e.what());
        }
      });
      Tasklet::sleep(0.02);
      CHECK(c.waiting_readers() == 1);
      CHECK(c.waiting_writers() == 1);
      const auto start = weft::now();
      c.close();
      Tasklet::join_all({reader, writer}, 1.0);
      CHECK(since(start) < 0.05);
      REQUIRE(errors.size() == 2);
      for (const auto& e : errors) CHECK(contains(e, "closed while waiting"));
    }
  });
}

TEST_CASE("streams and the peer: half-close, reset in the middle of a line, an over-long last line") {
  run([] {
    {
      // The peer shuts down its write side: we read its last line, then EOF, and can still answer.
      auto [c, s] = tcp_pair();
      BufferedStream peer(s);
      BufferedStream io(c);
      peer.write("last words\r\n", 1.0);
      peer.flush(1.0);
      s.shutdown(weft::Shutdown::write);
      CHECK(io.read_line(1.0) == "last words");
      CHECK_THROWS_AS(io.read_line(1.0), weft::EofError);
      CHECK_THROWS_AS(io.read_bytes(1, 1.0), weft::EofError);
      io.write("reply\n", 1.0);
      io.flush(1.0);
      CHECK(peer.read_line(1.0) == "reply");
    }
    {
      // A reset in the middle of a line: ConnectionResetError, not a truncated line.
      auto [c, s] = tcp_pair();
      BufferedStream io(c);
      s.write_all("half a li", 1.0);
      auto resetter = Tasklet::spawn([&s = s] {
        Tasklet::sleep(0.03);
        s.close_with_reset();
      });
      CHECK_THROWS_WITH_AS(io.read_line(2.0), doctest::Contains("the peer reset the connection"),
                           weft::ConnectionResetError);
      resetter.join();
    }
    {
      // EOF ends a final line longer than the limit: LineTooLongError, not a line past the limit.
      auto [c, s] = tcp_pair();
      BufferedStream io(c, {.max_line = 4});
      s.write_all("abcd\nabcde", 1.0);
      s.close();
      CHECK(io.read_line(1.0) == "abcd");
      CHECK_THROWS_WITH_AS(io.read_line(1.0), doctest::Contains("before EOF"),
                           weft::LineTooLongError);
      CHECK(io.read_bytes(5, 1.0) == "abcde");  // the bytes stayed buffered
    }
  });
}

TEST_CASE("read_bytes of a huge length commits memory as bytes arrive, not before") {
  run([] {
    auto [c, s] = tcp_pair();
    BufferedStream in(c, {.max_read_bytes = std::numeric_limits<std::size_t>::max()});
    constexpr std::size_t kHuge = std::size_t{1} << 30;  // a length a peer could send
    const std::size_t before = rss_bytes();
    auto reader = Tasklet::spawn([&in] {
      CHECK_THROWS_WITH_AS(
          in.read_bytes(kHuge, 2.0),
          doctest::Contains("failed: the peer closed the connection after 10 bytes"),
          weft::EofError);
    });
    s.write_all("0123456789", 1.0);
    Tasklet::sleep(0.05);  // the reader has the 10 bytes and waits for the rest
    REQUIRE_FALSE(reader.has_finished());
    const std::size_t during = rss_bytes();
    const std::size_t grown = during > before ? during - before : 0;
    INFO("RSS grew by " << grown / 1024 << " KiB while read_bytes waited");
    CHECK(grown < 16 * 1024 * 1024);  // it was the full GiB when the result was made up front
    s.close();
    reader.join(2.0);
    CHECK(in.read_bytes(10, 1.0) == "0123456789");  // what came stayed in the stream
  });
}

TEST_CASE("read_bytes whose small tail arrives after its result has grown past a chunk") {
  run([] {
    auto [c, s] = tcp_pair();
    const std::string data = pattern(64 * 1024 + 100);
    auto writer = Tasklet::spawn([&s = s, &data] {
      s.write_all(std::string_view(data).substr(0, 65500), 2.0);
      Tasklet::sleep(0.05);  // the reader has 65,500 bytes of its 64 KiB first chunk
      s.write_all(std::string_view(data).substr(65500), 2.0);  // the 136-byte tail
    });
    BufferedStream in(c);
    const std::string got = in.read_bytes(data.size(), 2.0);
    CHECK(got.size() == data.size());
    CHECK((got == data));
    writer.join();
  });
}

TEST_CASE("read_bytes past StreamOptions::max_read_bytes throws ReadLimitError and reads nothing") {
  run([] {
    auto [c, s] = tcp_pair();
    s.write_all("abcdef", 1.0);
    BufferedStream in(c, {.max_read_bytes = 4});
    CHECK(in.read_bytes(1, 1.0) == "a");  // five bytes now buffered
    CHECK_THROWS_WITH_AS(in.read_bytes(5, 1.0),
                         doctest::Contains("read_bytes(5) from 127.0.0.1:"),
                         weft::ReadLimitError);
    try {
      in.read_bytes(100, 1.0);
    } catch (const weft::ReadLimitError& e) {
      CHECK(contains(e.what(), "refused: more than the limit of 4 bytes "
                               "(StreamOptions::max_read_bytes); nothing was read"));
    }
    CHECK(in.buffered_input() == 5);
    CHECK(in.read_bytes(4, 1.0) == "bcde");  // the limit itself is allowed
    CHECK_THROWS_AS(BufferedStream(c, {.max_read_bytes = 0}), std::invalid_argument);

    // The documented default: 16 MiB.
    BufferedStream plain(c);
    CHECK(plain.options().max_read_bytes == 16u * 1024 * 1024);
    CHECK_THROWS_AS(plain.read_bytes(16u * 1024 * 1024 + 1, 1.0), weft::ReadLimitError);
    CHECK(plain.read_bytes(0, 1.0).empty());
  });
}

TEST_CASE("read_bytes across many small arrivals, large and small, keeps every byte in order") {
  run([] {
    auto [c, s] = tcp_pair();
    const std::string data = pattern(600'000);
    auto writer = Tasklet::spawn([&s = s, &data] {
      for (std::size_t at = 0; at < data.size();) {
        const std::size_t n = std::min<std::size_t>(at % 3 == 0 ? 700 : 1300, data.size() - at);
        s.write_all(std::string_view(data).substr(at, n), 2.0);
        at += n;
        Tasklet::yield_();  // one arrival at a time
      }
    });
    BufferedStream in(c);
    std::string got = in.read_bytes(1, 2.0);
    got += in.read_bytes(9, 2.0);
    got += in.read_bytes(100'000, 5.0);  // grows past its first chunk while bytes trickle in
    got += in.read_bytes(3, 2.0);
    got += in.read_bytes(499'987, 5.0);
    CHECK(got.size() == data.size());
    CHECK((got == data));  // (not decomposed: no 600 kB in a failure's message)
    writer.join();
  });
}


TEST_CASE("a buffered stream sees the end of the stream that came with the data a parked read took") {
  run([] {
    auto [ours, peer] = tcp_pair();
    std::string first;
    std::string second;
    double rest_took = -1;
    bool eof = false;
    auto reader = Tasklet::spawn([&, &ours = ours] {
      BufferedStream in(ours);
      first = in.read_line();  // parked: nothing there yet
      const auto start = weft::now();
      second = in.read_line(1.0);  // the final line, without LF, at the end of the stream
      try {
        in.read_line(1.0);
      } catch (const weft::EofError&) {
        eof = true;
      }
      rest_took = weft_test::since(start);
    });
    Tasklet::yield_();
    peer.write_all("abc\n");
    peer.write_all("def");
    peer.shutdown();
    reader.join();
    CHECK(first == "abc");
    CHECK(second == "def");
    CHECK(eof);
    CHECK(rest_took < 0.2);  // waited for its timeouts before the fix (found by fuzz_stream)
  });
}

}  // TEST_SUITE
