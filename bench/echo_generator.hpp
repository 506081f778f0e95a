// bench_echo's load generator: N loopback connections to one server, K
// messages in flight on each, counting round trips.
//
// It does the least a client can:
//  - K messages in flight on each connection (pipelining; depth_for() picks
//    K): it writes K*64 bytes in one write and counts K round trips when all
//    K*64 bytes have come back.
//  - SO_RCVLOWAT = K*64 on its sockets: it is woken once per complete batch,
//    however the server's echo was cut up, and one read takes it all.
//  - one epoll_wait for up to 1,024 ready connections, no epoll_ctl and no
//    allocation once set up; with one connection no epoll at all, but a
//    blocking recv(MSG_WAITALL).
// So per batch it makes one read and one write, as a server must; nearly all
// of either side's time is the kernel's TCP work for those two calls, so the
// generator costs about what the libev server costs (it saves only libev's
// small dispatch) and less than any heavier server. Pipelining divides both
// sides' cost per round trip by about K and cannot tip that balance as long
// as K*64 <= 4 KiB, the servers' read buffer. Larger batches would make the
// generator cheaper, but each server would then echo a stream in 4 KiB
// chunks per wake-up instead of one batch (libev polls again between chunks,
// weft's handler loops) and the comparison would no longer be about small
// messages; so K*64 stays within 4 KiB, and a server still reads and echoes
// one batch per wake-up, as it would a single message.
// Consequence: round trips/s compare truly while weft is no cheaper than
// libev.
//
// Paced runs. At saturation neither side has a core to spare, and the server
// CPU per round trip then depends on which side waits: when the generator
// waits for a slower server, every echo must wake it (on two cores an
// inter-processor interrupt, paid in the server's send), so a server a little
// slower than the generator is charged more per round trip than one just as
// fast, and the ratio of the two servers' figures overstates the gap. A paced
// run offers a fixed rate instead (a token bucket over whole batches: a
// connection whose batch came back sends its next one only when the rate
// allows), below what either server can do, so both servers do the same work
// against a generator that behaves the same; their CPU per round trip then
// compares like for like.
//
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bench/echo_process.hpp"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace echo_bench {

inline constexpr std::size_t kMessage = 64;
inline constexpr std::size_t kMaxBatch = 4096;  // the servers' read buffer; K * kMessage stays within it
inline constexpr long kPerSource = 2000;       // client sockets per loopback source address
inline constexpr long kConnectWindow = 512;    // connections opened but not yet answered, at most
inline constexpr double kSetupLimit = 15.0;    // seconds for every connection to be answered once
inline constexpr int kEvents = 1024;           // epoll_wait's batch

// Whether client sockets are bound to 127.0.0.2, 127.0.0.3, ... (off after a refusal).
inline bool g_sources = true;

struct Timing {
  double warmup;   // seconds of load after set-up, before measuring
  double measure;  // seconds measured
};

// One run's figures.
struct Figures {
  double rate = 0;         // round trips per second
  double server_us = 0;    // server CPU microseconds per round trip
  double server_busy = 0;  // server CPU seconds per second (1: a core saturated)
  double gen_us = 0;       // generator CPU microseconds per round trip
  double gen_busy = 0;     // generator CPU seconds per second
  double server_user_us = 0;  // the part of server_us spent in user space (the server's own code)
};

// How a run ended.
struct Outcome {
  enum Kind { measured, capped, failed } kind = measured;
  Figures figures;
  long reached = 0;         // capped: the connections the generator could open
  std::string problem;      // capped or failed: why
  long overflows = 0;       // accept queue overflows during set-up (all of the host's listeners)
};

// The load generator for one run: `conns` connections to `to`, `depth`
// messages in flight on each.
class Generator {
 public:
  Generator(const sockaddr_in& to, long conns, int depth)
      : to_(to),
        conns_(conns),
        depth_(depth),
        batch_(static_cast<std::size_t>(depth) * kMessage),
        fds_(static_cast<std::size_t>(conns), -1),
        got_(static_cast<std::size_t>(conns), 0),
        answered_(static_cast<std::size_t>(conns), 0) {
    // Source addresses 127.0.0.2 + i / kPerSource must stay within 127.0.0.0/8.
    if (conns / kPerSource >= 0xfffffdL) fail("%ld connections: too many for 127.0.0.0/8", conns);
    std::memset(msg_, 'e', sizeof msg_);
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0) fail("epoll_create1: %s", std::strerror(errno));
  }
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;
  // Closes every connection with a reset (SO_LINGER 0: no TIME_WAIT).
  ~Generator() {
    for (int fd : fds_) {
      if (fd >= 0) ::close(fd);
    }
    ::close(ep_);
  }

  // Connects all, loads the server `server` for t.warmup and then t.measure
  // seconds: as fast as it answers, or at `pace` round trips per second when
  // that is positive.
  Outcome run(pid_t server, const Timing& t, double pace = 0) {
    Outcome out;
    const long overflows0 = listen_overflows();
    if (!connect_all(out)) return out;
    const long overflows1 = listen_overflows();
    if (overflows0 >= 0 && overflows1 >= 0) out.overflows = overflows1 - overflows0;
    const bool blocking = conns_ == 1 && pace <= 0;
    if (blocking && !make_blocking(fds_[0], out)) return out;
    if (pace > 0) start_pacing(pace);
    const auto ready = std::chrono::steady_clock::now();
    while (bench::seconds_since(ready) < t.warmup) {
      if (!(blocking ? ping(out) : pump(out))) return out;
    }
    const long trips0 = trips_;
    const double server0 = process_cpu_seconds(server);
    const double server_user0 = process_cpu_seconds(server, true);
    const double own0 = own_cpu_seconds();
    const auto m0 = std::chrono::steady_clock::now();
    double secs = 0;
    while ((secs = bench::seconds_since(m0)) < t.measure) {
      if (!(blocking ? ping(out) : pump(out))) return out;
    }
    const double own_cpu = own_cpu_seconds() - own0;
    const double server_cpu = process_cpu_seconds(server) - server0;
    const double server_user = process_cpu_seconds(server, true) - server_user0;
    const double trips = static_cast<double>(trips_ - trips0);
    if (trips <= 0) {
      out.kind = Outcome::failed;
      char what[64];
      std::snprintf(what, sizeof what, "no round trip completed in %.1f s", t.measure);
      out.problem = what;
      return out;
    }
    out.figures = {trips / secs, server_cpu * 1e6 / trips, server_cpu / secs, own_cpu * 1e6 / trips,
                   own_cpu / secs, server_user * 1e6 / trips};
    return out;
  }

 private:
  static bool resource_error(int err) {
    // EAGAIN from connect: no free local port.
    return err == EMFILE || err == ENFILE || err == EADDRNOTAVAIL || err == EAGAIN ||
           err == ENOBUFS || err == ENOMEM || err == EADDRINUSE;
  }

  static bool failed(Outcome& out, std::string problem) {
    out.kind = Outcome::failed;
    out.problem = std::move(problem);
    return false;
  }

  // Opens connection i (non-blocking; the connect is under way). Returns -1
  // with errno set when the kernel refuses.
  int open_one(long i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    const int one = 1;
    const linger reset{1, 0};
    const int lowat = static_cast<int>(batch_);
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof lowat);
    if (g_sources) {
      // 127.0.0.2 + i / kPerSource, within 127.0.0.0/8 (checked by the constructor).
      sockaddr_in from{};
      from.sin_family = AF_INET;
      from.sin_addr.s_addr = htonl(0x7f000002u + static_cast<std::uint32_t>(i / kPerSource));
      ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      if (::bind(fd, reinterpret_cast<const sockaddr*>(&from), sizeof from) != 0) {
        std::fprintf(stderr,
                     "bench echo: cannot bind a client socket to a loopback source address (%s);"
                     " all connections come from 127.0.0.1\n",
                     std::strerror(errno));
        g_sources = false;
      }
    }
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to_), sizeof to_) != 0 &&
        errno != EINPROGRESS) {
      const int err = errno;
      ::close(fd);
      errno = err;
      return -1;
    }
    return fd;
  }

  // Opens every connection, at most kConnectWindow unanswered at a time, and
  // waits until each has had its first batch echoed (the server accepted it
  // and serves it); then sends a batch on each. False (and `out` says why)
  // when that cannot be done.
  bool connect_all(Outcome& out) {
    long opened = 0;
    long answered = 0;
    long connected = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (answered < conns_) {
      while (opened < conns_ && opened - answered < kConnectWindow) {
        const int fd = open_one(opened);
        if (fd < 0) {
          const int err = errno;
          if (!resource_error(err)) return failed(out, "connect: " + errno_text(err));
          out.kind = Outcome::capped;
          out.reached = opened;
          out.problem = "the generator could open only " + with_commas(opened) +
                        " connections (" + errno_text(err) + ")";
          return false;
        }
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u32 = static_cast<std::uint32_t>(opened);
        if (::epoll_ctl(ep_, EPOLL_CTL_ADD, fd, &ev) != 0) fail("epoll_ctl: %s", std::strerror(errno));
        fds_[static_cast<std::size_t>(opened++)] = fd;
      }
      if (bench::seconds_since(t0) > kSetupLimit) {
        return failed(out, "after " + std::to_string(static_cast<int>(kSetupLimit)) + " s only " +
                               with_commas(answered) + " of " + with_commas(conns_) +
                               " connections were answered (" + with_commas(connected) +
                               " connected)");
      }
      const int n = ::epoll_wait(ep_, events_, kEvents, 100);
      for (int k = 0; k < n; ++k) {
        const std::uint32_t i = events_[k].data.u32;
        if (answered_[i] == 0) {  // the connect finished
          int err = 0;
          socklen_t len = sizeof err;
          ::getsockopt(fds_[i], SOL_SOCKET, SO_ERROR, &err, &len);
          if (err != 0) return failed(out, "connect: " + errno_text(err));
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.u32 = i;
          if (::epoll_ctl(ep_, EPOLL_CTL_MOD, fds_[i], &ev) != 0) {
            fail("epoll_ctl: %s", std::strerror(errno));
          }
          answered_[i] = 1;
          ++connected;
          if (!send_batch(i, out)) return false;
          continue;
        }
        // Its first batch coming back: it stays idle until every connection is answered.
        const ssize_t r = ::read(fds_[i], buf_, batch_ - got_[i]);
        if (r > 0) {
          got_[i] += static_cast<std::uint32_t>(r);
          if (got_[i] == batch_) {
            got_[i] = 0;
            answered_[i] = 2;
            ++answered;
          }
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          return failed(out, r == 0 ? "the server closed a connection" : "read: " + errno_text(errno));
        }
      }
    }
    // Every connection was answered: now all load the server at once.
    for (long i = 0; i < conns_; ++i) {
      if (!send_batch(static_cast<std::uint32_t>(i), out)) return false;
    }
    return true;
  }

  bool send_batch(std::uint32_t i, Outcome& out) {
    const ssize_t w = ::send(fds_[i], msg_, batch_, MSG_NOSIGNAL);
    if (w == static_cast<ssize_t>(batch_)) return true;
    // The whole batch was echoed before this write, so the send buffer has room.
    return failed(out, w < 0 ? "write: " + errno_text(errno) : "a short write");
  }

  bool on_readable(std::uint32_t i, Outcome& out) {
    const ssize_t r = ::read(fds_[i], buf_, batch_ - got_[i]);
    if (r > 0) {
      got_[i] += static_cast<std::uint32_t>(r);
      if (got_[i] < batch_) return true;
      got_[i] = 0;
      trips_ += depth_;
      if (batches_per_s_ > 0) {
        held_[held_end_++ % held_.size()] = i;  // sent when the rate allows (release_held)
        return true;
      }
      return send_batch(i, out);
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    return failed(out, r == 0 ? "the server closed a connection" : "read: " + errno_text(errno));
  }

  // One epoll_wait and the connections it reports (paced: then the batches
  // the rate allows by now).
  bool pump(Outcome& out) {
    const bool paced = batches_per_s_ > 0;
    // Paced, with batches held for the rate: poll without sleeping (a
    // millisecond's sleep would cap few connections far below the rate);
    // with none held, sleep until an echo comes.
    const int wait_ms = !paced ? 100 : held_begin_ != held_end_ ? 0 : 1;
    const int n = ::epoll_wait(ep_, events_, kEvents, wait_ms);
    for (int k = 0; k < n; ++k) {
      if (!on_readable(events_[k].data.u32, out)) return false;
    }
    return !paced || release_held(out);
  }

  void start_pacing(double pace) {
    batches_per_s_ = pace / depth_;
    pace_start_ = std::chrono::steady_clock::now();
    released_ = 0;
    held_.assign(static_cast<std::size_t>(conns_), 0);  // each connection is held at most once
    held_begin_ = held_end_ = 0;
  }

  // Sends the held batches the rate allows by now, oldest first. What the
  // rate allowed while every batch was in flight is sent as echoes come back
  // (a burst is at most one batch per connection), so the offered rate is met
  // whenever the server keeps up.
  bool release_held(Outcome& out) {
    const auto allowed = static_cast<long>(bench::seconds_since(pace_start_) * batches_per_s_);
    while (held_begin_ != held_end_ && released_ < allowed) {
      ++released_;
      if (!send_batch(held_[held_begin_++ % held_.size()], out)) return false;
    }
    return true;
  }

  // The single connection, blocking (with a time limit, so a silent server
  // still ends the run).
  bool make_blocking(int fd, Outcome& out) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    const timeval limit{0, 500000};
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit) != 0 ||
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit) != 0) {
      return failed(out, "setsockopt: " + errno_text(errno));
    }
    return true;
  }

  // One round trip of the single connection: its batch in flight comes back
  // (one blocking recv), the next goes out.
  bool ping(Outcome& out) {
    const ssize_t r = ::recv(fds_[0], buf_, batch_, MSG_WAITALL);
    if (r != static_cast<ssize_t>(batch_)) {
      if (r < 0 && errno == EAGAIN) return failed(out, "the server did not answer within 0.5 s");
      if (r < 0 && errno == EINTR) return true;
      return failed(out, r == 0 ? "the server closed the connection"
                                : r < 0 ? "read: " + errno_text(errno) : "a short read");
    }
    trips_ += depth_;
    return send_batch(0, out);
  }

  sockaddr_in to_;
  long conns_;
  int depth_;
  std::size_t batch_;
  int ep_ = -1;
  std::vector<int> fds_;
  std::vector<std::uint32_t> got_;     // bytes of the batch in flight that came back
  std::vector<std::uint8_t> answered_;  // set-up: 0 connecting, 1 first batch out, 2 answered
  long trips_ = 0;
  // Pacing (batches_per_s_ > 0): connections whose batch came back, waiting
  // to send the next (a ring: a connection is in it at most once).
  double batches_per_s_ = 0;
  std::chrono::steady_clock::time_point pace_start_;
  long released_ = 0;
  std::vector<std::uint32_t> held_;
  std::size_t held_begin_ = 0;
  std::size_t held_end_ = 0;
  char msg_[kMaxBatch];
  char buf_[kMaxBatch];
  epoll_event events_[kEvents];
};

}  // namespace echo_bench
