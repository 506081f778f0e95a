// A server out of file descriptors (EMFILE on accept): it backs off instead of
// spinning, loses no pending connection, and serves them all once descriptors
// free up; memory stays where it was.

#include <dirent.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "examples/io/echo.hpp"
#include "io/server.hpp"
#include "io/socket.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using weft::Endpoint;
using weft::Socket;
using weft::Tasklet;
using weft_test::run_logged;
using namespace std::chrono_literals;

namespace {

const Endpoint kAny = Endpoint::ip("127.0.0.1", 0);
constexpr std::size_t kClients = 100;
constexpr int kFree = 8;         // descriptors left for the server's accepts
constexpr double kWindow = 0.5;  // seconds measured at the limit

// CPU time of the calling thread (the loop's: every tasklet of the test runs
// on it), seconds.
double thread_cpu_seconds() {
  timespec ts;
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The highest file descriptor this process has open (-1 when /proc/self/fd
// cannot be read).
int highest_open_fd() {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return -1;
  int high = -1;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') high = std::max(high, std::atoi(e->d_name));
  }
  ::closedir(d);  // (its own descriptor may have counted: FdCeiling fills every hole anyway)
  return high;
}

// Leaves the process exactly `free` file descriptors to open: lowers the soft
// RLIMIT_NOFILE to just above the highest open one and fills the holes below
// it with duplicates. Gives it all back on destruction.
class FdCeiling {
 public:
  explicit FdCeiling(int free) {
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved_) == 0);
    const int high = highest_open_fd();
    REQUIRE(high >= 0);
    rlimit low = saved_;
    low.rlim_cur = static_cast<rlim_t>(high + 1 + free);
    REQUIRE(low.rlim_cur <= saved_.rlim_cur);
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
    for (;;) {
      const int fd = ::dup(0);
      if (fd < 0) {
        REQUIRE(errno == EMFILE);
        break;
      }
      hogs_.push_back(fd);
    }
    REQUIRE(hogs_.size() >= static_cast<std::size_t>(free));
    for (int i = 0; i < free; ++i) {
      ::close(hogs_.back());
      hogs_.pop_back();
    }
  }
  FdCeiling(const FdCeiling&) = delete;
  FdCeiling& operator=(const FdCeiling&) = delete;
  ~FdCeiling() {
    for (int fd : hogs_) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &saved_);
  }

 private:
  rlimit saved_{};
  std::vector<int> hogs_;
};

}  // namespace

TEST_SUITE("io") {

TEST_CASE("EMFILE on accept: no spinning at the limit; every pending connection is served once fds free up") {
  // A first episode brings the code and the allocator to their working state;
  // resident memory is compared over the second.
  long rss_before = 0;
  for (int episode = 0; episode < 2; ++episode) {
    CAPTURE(episode);
    if (episode == 1) rss_before = io_test::resident_kib();
    weft_test::LogCapture log;
    run_logged(log, [] {
      weft::ServerOptions o;
      o.name = "fdsrv";
      o.accept_backoff = 50ms;
      o.listen.backlog = 2 * kClients;  // every client fits in the accept queue
      auto server = weft::serve(kAny, echo::serve_connection, o);
      // The clients' sockets are made while descriptors are plentiful; they
      // connect once the process has run out.
      std::vector<int> fds;
      for (std::size_t i = 0; i < kClients; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd >= 0);
        fds.push_back(fd);
      }
      std::size_t echoed = 0;
      std::size_t failed = 0;
      bool released = false;
      weft::WaitList release;
      std::vector<Tasklet> clients;
      {
        FdCeiling ceiling(kFree);
        // Clients keep connecting (one every 2 ms), each sends a line and
        // waits for its echo; the first ones hold their connection open
        // until released.
        auto connector = Tasklet::spawn([&] {
          for (std::size_t i = 0; i < kClients; ++i) {
            // Blocking, and at once: the accept queue has room.
            if (::connect(fds[i], server.endpoint().data(), server.endpoint().size()) != 0) {
              ++failed;
              ::close(fds[i]);
              continue;
            }
            clients.push_back(Tasklet::spawn([&, i] {
              Socket c(fds[i]);
              const std::string msg = "hello " + std::to_string(i) + "\n";
              std::string back(msg.size(), '\0');
              try {
                c.write_all(msg, 1.0);
                c.read_exactly(back, 10.0);
              } catch (const std::exception& e) {
                MESSAGE("client " << i << ": " << std::string(e.what()));
              }
              if (back == msg) {
                ++echoed;
              } else {
                ++failed;
              }
              if (!released) (void)release.wait(weft::Deadline::never());
            }));
            Tasklet::sleep(0.002);
          }
        });
        connector.join(5.0);
        Tasklet::sleep(0.1);
        // At the limit: kFree connections in, the rest in the accept queue,
        // and the listener readable all along.
        CHECK(server.accepted() == static_cast<std::size_t>(kFree));
        CHECK(echoed == static_cast<std::size_t>(kFree));
        REQUIRE(server.accept_backoffs() >= 1);
        const std::size_t backoffs = server.accept_backoffs();
        const double cpu0 = thread_cpu_seconds();
        const auto t0 = weft::now();
        Tasklet::sleep(kWindow);
        const double cpu = thread_cpu_seconds() - cpu0;
        const double wall = weft_test::since(t0);
        MESSAGE("at the fd limit: " << cpu * 1e3 << " ms of CPU in " << wall * 1e3 << " ms, "
                                    << server.accept_backoffs() - backoffs << " back-offs");
        CHECK(cpu < 0.1 * wall);  // a spinning acceptor burns all of it
        CHECK(server.accept_backoffs() - backoffs <= 2 * kWindow / 0.05 + 2);
        CHECK(server.accepted() == static_cast<std::size_t>(kFree));
        // Descriptors free up as the first clients close: the server takes
        // the pending connections in turn, and every client gets its echo.
        released = true;
        release.notify_all();
        Tasklet::join_all(clients, 10.0);
        CHECK(echoed == kClients);
        CHECK(failed == 0);
        CHECK(server.accepted() == kClients);
      }
      server.stop(1.0);
      CHECK(server.connections() == 0);
    });
    CHECK(log.count("fdsrv: accepting paused for 50 ms") >= 1);
    CHECK(log.count("EMFILE") >= 1);
  }
  // The second episode gave back what it took (a leak of 512 bytes per
  // connection would exceed the bound).
  io_test::check_rss_growth("an fd exhaustion episode", rss_before, io_test::resident_kib(),
                            static_cast<long>(kClients) / 2);
}

}  // TEST_SUITE
