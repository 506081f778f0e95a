// echo: TCP echo of 64-byte messages at N connections (echo_c<N>): without
// --conns the curve N = 1, 64, 1,000, 10,000; --conns N measures one N.
// weft's echo server (the example's handler: one tasklet per connection,
// blocking-style read/write_all, via weft::serve) against the floor, an echo
// server on raw libev callbacks (echo_libev.cpp). Per N: round trips/s, the
// server's CPU time per round trip (/proc/<pid>/stat) and the weft/libev
// ratio of each. Target (DESIGN.md §9): at every N, server CPU per round trip
// <= 1.10x libev and round trips/s >= 0.95x.
//
// Each server runs in a child process on a listening socket made here; the
// load generator is this process. Both servers face the same generator,
// alternately, in the same run. On a machine of two cores the generator and
// the server share it, so round trips/s say something only when the generator
// costs no more per round trip than the server; its own CPU time per round
// trip (CLOCK_PROCESS_CPUTIME_ID) is printed beside the servers' so that a
// reader can check. It does the least a client can:
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
// libev; the CPU per round trip compares in any case.
//
// Connections: RLIMIT_NOFILE is raised to its hard limit here and in both
// servers; N is capped (and the cap printed) when that or the ephemeral ports
// cannot give N connections. Client sockets are bound to loopback source
// addresses 127.0.0.2, 127.0.0.3, ... (2,000 each) and closed with SO_LINGER
// 0 (a reset, no TIME_WAIT), so repeated runs of 10,000 connections do not
// run out of ports. They are opened at most 512 unanswered at a time (below
// the listen backlog): a connection counts once its first batch has come
// back; during set-up each connection makes that one round trip and waits
// until all are answered. Nothing leaves 127.0.0.0/8. Every run is bounded in
// time (set-up at most kSetupLimit, then a fixed warm-up and measurement), and
// the server child is killed and reaped on every way out. With --json the
// figures are named after the connections measured (echo_c<capped N> when
// capped; the cap is also said on stderr).

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_net.hpp"
#include "bench/bench_util.hpp"
#include "bench/libev_servers.hpp"
#include "examples/io/echo.hpp"
#include "io/server.hpp"
#include "tasklet/dispatch.hpp"

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

namespace {

constexpr std::size_t kMessage = 64;
constexpr std::size_t kMaxBatch = 4096;  // the servers' read buffer; K * kMessage stays within it
const std::vector<long> kCurve = {1, 64, 1000, 10000};
constexpr long kPerSource = 2000;       // client sockets per loopback source address
constexpr long kConnectWindow = 512;    // connections opened but not yet answered, at most
constexpr double kSetupLimit = 15.0;    // seconds for every connection to be answered once
constexpr long kReservedFds = 64;       // descriptors a process needs besides its connections
constexpr int kEvents = 1024;           // epoll_wait's batch

// Messages in flight on each connection at N connections. One connection is
// the latency case: one message, no pipelining. Beyond it 16 (1 KiB a
// batch) at every N, so that round trips/s compare across N.
int depth_for(long conns) { return conns <= 1 ? 1 : 16; }

enum Slot { kWeft = 0, kLibev = 1 };
const char* const kNames[] = {"weft", "libev"};

// The server child of the current run; killed and reaped on every way out.
volatile pid_t g_child = -1;
// Whether client sockets are bound to 127.0.0.2, 127.0.0.3, ... (off after a refusal).
bool g_sources = true;

void stop_child() {
  const pid_t pid = g_child;
  if (pid > 0) {
    g_child = -1;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

[[noreturn]] void fail(const char* fmt, ...) {
  stop_child();
  std::fputs("bench echo: ", stderr);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  std::exit(1);
}

void on_fatal_signal(int sig) {  // kill, waitpid, signal and raise are async-signal-safe
  stop_child();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

std::string errno_text(int err) { return std::strerror(err); }

std::string with_commas(long v) {
  std::string s = std::to_string(v);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
  return s;
}

// Raises the soft RLIMIT_NOFILE as far as the hard limit (and fs.nr_open)
// allow; returns the soft limit now in force.
long raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur != rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) != 0 && rl.rlim_max == RLIM_INFINITY) {
      long nr_open = 0;
      std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
      if (nr_open > 0) {
        want.rlim_cur = static_cast<rlim_t>(nr_open);
        ::setrlimit(RLIMIT_NOFILE, &want);
      }
    }
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur == RLIM_INFINITY ? (1L << 30) : static_cast<long>(rl.rlim_cur);
}

// CPU time (user + system) of process `pid` so far, seconds.
double process_cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  // Fields after the command: state is field 3; utime and stime are 14 and 15.
  std::vector<std::string> fields;
  std::size_t i = close + 2;
  while (i < s.size() && fields.size() < 13) {
    const auto sp = s.find(' ', i);
    fields.push_back(s.substr(i, sp - i));
    i = sp + 1;
  }
  if (fields.size() < 13) return 0;
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

// CPU time of this process (the generator), seconds.
double own_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The kernel's count of connections dropped because an accept queue was full
// (TcpExt ListenOverflows in /proc/net/netstat; -1 when unreadable).
long listen_overflows() {
  std::ifstream f("/proc/net/netstat");
  std::string names;
  std::string values;
  while (std::getline(f, names) && std::getline(f, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::istringstream n(names);
    std::istringstream v(values);
    std::string name;
    std::string value;
    while (n >> name && v >> value) {
      if (name == "ListenOverflows") return std::stol(value);
    }
  }
  return -1;
}

void serve_weft(int listen_fd) {
  weft::dispatch([listen_fd] {
    auto server = weft::serve(weft::Socket(listen_fd), echo::serve_connection);
    server.join(weft::never);
  });
}

// Starts server `slot` in a child process on a new loopback listener (its
// address goes to `addr`); the child dies with this process.
pid_t start_server(Slot slot, sockaddr_in& addr) {
  const int lfd = bench::make_loopback_listener(addr, "echo", 65535);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork: %s", std::strerror(errno));
  if (pid == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    raise_fd_limit();
    if (slot == kWeft) {
      serve_weft(lfd);
    } else {
      run_libev_echo(lfd);
    }
    std::_Exit(0);
  }
  g_child = pid;
  ::close(lfd);
  return pid;
}

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

  // Connects all, loads the server `server` for t.warmup and then t.measure seconds.
  Outcome run(pid_t server, const Timing& t) {
    Outcome out;
    const long overflows0 = listen_overflows();
    if (!connect_all(out)) return out;
    const long overflows1 = listen_overflows();
    if (overflows0 >= 0 && overflows1 >= 0) out.overflows = overflows1 - overflows0;
    const bool blocking = conns_ == 1;
    if (blocking && !make_blocking(fds_[0], out)) return out;
    const auto ready = std::chrono::steady_clock::now();
    while (bench::seconds_since(ready) < t.warmup) {
      if (!(blocking ? ping(out) : pump(out))) return out;
    }
    const long trips0 = trips_;
    const double server0 = process_cpu_seconds(server);
    const double own0 = own_cpu_seconds();
    const auto m0 = std::chrono::steady_clock::now();
    double secs = 0;
    while ((secs = bench::seconds_since(m0)) < t.measure) {
      if (!(blocking ? ping(out) : pump(out))) return out;
    }
    const double own_cpu = own_cpu_seconds() - own0;
    const double server_cpu = process_cpu_seconds(server) - server0;
    const double trips = static_cast<double>(trips_ - trips0);
    if (trips <= 0) {
      out.kind = Outcome::failed;
      char what[64];
      std::snprintf(what, sizeof what, "no round trip completed in %.1f s", t.measure);
      out.problem = what;
      return out;
    }
    out.figures = {trips / secs, server_cpu * 1e6 / trips, server_cpu / secs, own_cpu * 1e6 / trips,
                   own_cpu / secs};
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
      return send_batch(i, out);
    }
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return true;
    return failed(out, r == 0 ? "the server closed a connection" : "read: " + errno_text(errno));
  }

  // One epoll_wait and the connections it reports.
  bool pump(Outcome& out) {
    const int n = ::epoll_wait(ep_, events_, kEvents, 100);
    for (int k = 0; k < n; ++k) {
      if (!on_readable(events_[k].data.u32, out)) return false;
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
  char msg_[kMaxBatch];
  char buf_[kMaxBatch];
  epoll_event events_[kEvents];
};

Outcome run_once(Slot slot, long conns, int depth, const Timing& t) {
  sockaddr_in addr;
  const pid_t pid = start_server(slot, addr);
  Outcome out;
  {
    Generator g(addr, conns, depth);
    out = g.run(pid, t);
  }  // the connections are reset before the server goes
  stop_child();
  return out;
}

// Everything measured at one N.
struct Point {
  long requested = 0;
  long conns = 0;  // what was measured (below `requested` when capped)
  int depth = 1;
  std::string cap;  // why conns < requested
  std::vector<Figures> samples[2];
  std::vector<std::string> problems[2];  // failed runs
  long overflows[2] = {0, 0};
  bool measured[2] = {false, false};

  double med(int slot, double Figures::*field) const {
    std::vector<double> v;
    for (const Figures& f : samples[slot]) v.push_back(f.*field);
    return v.empty() ? std::nan("") : bench::median(v);
  }
};

Point measure_point(const bench::Args& args, long requested, long fd_limit, long depth_flag,
                    const Timing& t) {
  Point p;
  p.requested = requested;
  p.conns = requested;
  if (p.conns > fd_limit - kReservedFds) {
    p.conns = std::max(1L, fd_limit - kReservedFds);
    p.cap = "RLIMIT_NOFILE is " + with_commas(fd_limit) +
            " (the generator and each server need a descriptor per connection)";
  }
  for (int attempt = 0;; ++attempt) {
    p.depth = depth_flag > 0 ? static_cast<int>(depth_flag) : depth_for(p.conns);
    bool restart = false;
    for (int r = 0; r < args.runs && !restart; ++r) {
      for (int slot : {kWeft, kLibev}) {
        if (!args.only.empty() && args.only != kNames[slot]) continue;
        p.measured[slot] = true;
        const Outcome o = run_once(static_cast<Slot>(slot), p.conns, p.depth, t);
        if (o.overflows > 0) p.overflows[slot] += o.overflows;
        if (o.kind == Outcome::measured) {
          p.samples[slot].push_back(o.figures);
        } else if (o.kind == Outcome::failed) {
          std::fprintf(stderr, "bench echo: %s at %s connections: %s\n", kNames[slot],
                       with_commas(p.conns).c_str(), o.problem.c_str());
          p.problems[slot].push_back(o.problem);
        } else {
          // The generator ran short of ports or descriptors: measure both again at what it could open.
          if (o.reached < 1 || attempt >= 3) {
            fail("at %s connections: %s", with_commas(p.conns).c_str(), o.problem.c_str());
          }
          p.conns = o.reached;
          p.cap = o.problem;
          restart = true;
          break;
        }
      }
    }
    if (!restart) break;
    for (int slot : {kWeft, kLibev}) {
      p.samples[slot].clear();
      p.problems[slot].clear();
      p.overflows[slot] = 0;
    }
  }
  if (p.conns < p.requested) {
    std::fprintf(stderr, "bench echo: %s connections capped at %s: %s\n",
                 with_commas(p.requested).c_str(), with_commas(p.conns).c_str(), p.cap.c_str());
  }
  return p;
}

std::string bench_name(const Point& p) { return "echo_c" + std::to_string(p.conns); }

void print_json(const Point& p) {
  const std::string name = bench_name(p);
  const std::string cpu = name + "_cpu";
  for (int slot : {kWeft, kLibev}) {
    if (p.samples[slot].empty()) continue;
    bench::json_line(name.c_str(), kNames[slot], p.med(slot, &Figures::rate), "rt/s");
  }
  for (int slot : {kWeft, kLibev}) {
    if (p.samples[slot].empty()) continue;
    bench::json_line(cpu.c_str(), kNames[slot], p.med(slot, &Figures::server_us), "us");
  }
  std::fflush(stdout);
}

void print_table(const Point& p, int runs) {
  std::printf("%-12s TCP echo, 64 B messages, %s connection%s, %d in flight on each (median of %d runs)\n",
              bench_name(p).c_str(), with_commas(p.conns).c_str(), p.conns == 1 ? "" : "s", p.depth,
              runs);
  if (p.conns < p.requested) {
    std::printf("             capped at %s of %s connections: %s\n", with_commas(p.conns).c_str(),
                with_commas(p.requested).c_str(), p.cap.c_str());
  }
  std::printf("             %-8s %14s %16s %12s %19s %15s\n", "", "round trips/s", "server CPU/rt",
              "server busy", "generator CPU/rt", "generator busy");
  for (int slot : {kWeft, kLibev}) {
    if (!p.measured[slot]) continue;
    if (p.samples[slot].empty()) {
      std::printf("             %-8s %14s\n", kNames[slot], "(no figure)");
      continue;
    }
    std::printf("             %-8s %14.4g %13.2f us %11.0f%% %16.2f us %14.0f%%\n", kNames[slot],
                p.med(slot, &Figures::rate), p.med(slot, &Figures::server_us),
                100 * p.med(slot, &Figures::server_busy), p.med(slot, &Figures::gen_us),
                100 * p.med(slot, &Figures::gen_busy));
  }
  if (!p.samples[kWeft].empty() && !p.samples[kLibev].empty()) {
    std::printf("             %-8s %14.3g %16.3g\n", "weft/libev",
                p.med(kWeft, &Figures::rate) / p.med(kLibev, &Figures::rate),
                p.med(kWeft, &Figures::server_us) / p.med(kLibev, &Figures::server_us));
  }
  for (int slot : {kWeft, kLibev}) {
    if (!p.problems[slot].empty()) {
      std::printf("             %s: %zu of %zu runs failed: %s\n", kNames[slot], p.problems[slot].size(),
                  p.problems[slot].size() + p.samples[slot].size(), p.problems[slot].back().c_str());
    }
    if (p.overflows[slot] > 0) {
      std::printf("             %s: the accept queue overflowed %ld times while connecting\n",
                  kNames[slot], p.overflows[slot]);
    }
  }
  std::printf("             target: weft >= 0.95x libev in round trips/s, <= 1.10x in server CPU per"
              " round trip\n\n");
  std::fflush(stdout);
}

// A figure for the curve table, "-" when there is none.
std::string cell(double v, const char* fmt) {
  if (std::isnan(v)) return "-";
  char b[32];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

// The whole curve in one table, for reading across N.
void print_curve(const std::vector<Point>& points) {
  std::printf("echo curve   round trips/s (weft, libev, ratio) | server CPU us/rt (weft, libev, ratio)"
              " | generator CPU us/rt (facing weft, libev)\n");
  for (const Point& p : points) {
    const double rw = p.med(kWeft, &Figures::rate);
    const double rl = p.med(kLibev, &Figures::rate);
    const double cw = p.med(kWeft, &Figures::server_us);
    const double cl = p.med(kLibev, &Figures::server_us);
    std::printf("  N=%-7ld K=%-3d %10s %10s %6s | %7s %7s %6s | %6s %6s%s\n", p.conns, p.depth,
                cell(rw, "%.4g").c_str(), cell(rl, "%.4g").c_str(), cell(rw / rl, "%.3g").c_str(),
                cell(cw, "%.2f").c_str(), cell(cl, "%.2f").c_str(), cell(cw / cl, "%.3g").c_str(),
                cell(p.med(kWeft, &Figures::gen_us), "%.2f").c_str(),
                cell(p.med(kLibev, &Figures::gen_us), "%.2f").c_str(),
                p.conns < p.requested ? ("  capped, asked " + with_commas(p.requested)).c_str() : "");
  }
  std::printf("\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  long conns_flag = 0;
  long depth_flag = 0;
  const bench::Args args =
      bench::parse(argc, argv, {{"--conns", "N", &conns_flag}, {"--depth", "K", &depth_flag}});
  if (depth_flag > static_cast<long>(kMaxBatch / kMessage)) {
    fail("--depth %ld: at most %zu messages (%zu bytes) fit the servers' read buffer", depth_flag,
         kMaxBatch / kMessage, kMaxBatch);
  }
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_fatal_signal);
  const long fd_limit = raise_fd_limit();  // the server children inherit it, and raise their own
  const Timing t{args.scale < 1 ? 0.1 : 0.25, args.scale < 1 ? 0.2 : 1.0};
  const std::vector<long> curve = conns_flag > 0 ? std::vector<long>{conns_flag} : kCurve;
  if (!args.json) {
    std::printf("echo: busy = CPU seconds per second (100%%: a core to itself); server CPU/rt compares"
                " the servers even when neither had one\n\n");
  }
  std::vector<Point> points;
  for (long n : curve) {
    points.push_back(measure_point(args, n, fd_limit, depth_flag, t));
    if (args.json) {
      print_json(points.back());
    } else {
      print_table(points.back(), args.runs);
    }
  }
  if (!args.json && points.size() > 1) print_curve(points);
}
