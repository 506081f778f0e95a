// A connection whose reads always return data and whose writes always succeed
// never parks. Without an IO budget its tasklet held the loop: another
// client's round trip took seconds, and SIGTERM waited behind it.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "io/server.hpp"
#include "io/socket.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Endpoint;
using weft::Socket;
using weft::Tasklet;
using weft_test::run;

namespace {

// A blocking loopback client socket (plain threads, outside weft), with
// send and receive timeouts so that a starved test ends.
int blocking_client(int port, double timeout_s) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_s);
  tv.tv_usec = static_cast<suseconds_t>((timeout_s - static_cast<double>(tv.tv_sec)) * 1e6);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

TEST_SUITE("io") {

TEST_CASE("fairness: a peer streaming without pause does not starve another connection") {
  run([] {
    auto server = weft::serve(Endpoint::ip("127.0.0.1", 0), [](Socket& s) {
      char buf[16384];
      try {
        for (;;) {
          const std::size_t n = s.read(buf);
          if (n == 0) return;
          s.write_all({buf, n});
        }
      } catch (const weft::IoError&) {  // the hog resets when the test ends
      }
    });
    const int port = server.endpoint().port();
    std::atomic<bool> stop{false};
    std::atomic<bool> done{false};      // the normal client has finished
    std::atomic<bool> hog_done{false};  // the hog has stopped
    std::vector<double> rtts;  // seconds; written by `normal` only, read after it is joined

    // The hog streams 64 KiB writes as fast as it can and drains the echo.
    std::thread hog([&] {
      const int fd = blocking_client(port, 0.5);
      std::thread drain([&] {
        char buf[65536];
        while (!stop.load()) {
          if (::read(fd, buf, sizeof buf) <= 0 && !stop.load()) continue;
        }
      });
      std::vector<char> chunk(65536, 'x');
      while (!stop.load()) {
        if (::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL) < 0 && errno != EAGAIN) break;
      }
      ::shutdown(fd, SHUT_RDWR);
      drain.join();
      ::close(fd);
      hog_done.store(true);
    });
    // The normal client: 64-byte round trips, one every millisecond.
    std::thread normal([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the hog is streaming
      const int fd = blocking_client(port, 3.0);
      char msg[64] = {};
      for (int i = 0; i < 300; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        if (::send(fd, msg, sizeof msg, MSG_NOSIGNAL) != sizeof msg) break;
        std::size_t got = 0;
        while (got < sizeof msg) {
          const ssize_t r = ::read(fd, msg + got, sizeof msg - got);
          if (r <= 0) break;
          got += static_cast<std::size_t>(r);
        }
        if (got < sizeof msg) break;  // timed out: counted as missing round trips
        rtts.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      ::close(fd);
      stop.store(true);
      done.store(true);
    });
    // The loop serves both meanwhile; joins only once the threads are done
    // (a join blocks the loop, which the hog's writes need).
    while (!done.load() || !hog_done.load()) Tasklet::sleep(0.01);
    normal.join();
    hog.join();
    server.stop(1.0);

    REQUIRE(rtts.size() == 300);
    std::sort(rtts.begin(), rtts.end());
    const double p50 = rtts[rtts.size() / 2];
    const double p99 = rtts[rtts.size() * 99 / 100];
    MESSAGE("normal client beside a hog: p50 " << p50 * 1e3 << " ms, p99 " << p99 * 1e3
                                               << " ms, max " << rtts.back() * 1e3 << " ms");
    // Unstarved, a round trip here takes well under a millisecond; a busy CI
    // machine adds a few. Starved, it took seconds.
    CHECK(p99 < 0.05);
  });
}

}  // TEST_SUITE
