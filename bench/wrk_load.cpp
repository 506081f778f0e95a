// The wrk driver of the http and https benchmarks (wrk_load.hpp).

#include "bench/wrk_load.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "bench/bench_net.hpp"
#include "bench/echo_process.hpp"

using echo_bench::g_child;
using echo_bench::on_fatal_signal;
using echo_bench::process_cpu_seconds;
using echo_bench::raise_fd_limit;
using echo_bench::stop_child;
using echo_bench::with_commas;

namespace wrk_load {

namespace {

constexpr double kOpenLimit = 15.0;  // seconds for wrk to open its connections before measuring anyway

std::string g_name = "wrk";  // the benchmark, in messages

// wrk, while it runs (killed and reaped on every way out, like the server).
volatile pid_t g_wrk = -1;

void stop_wrk() {
  const pid_t pid = g_wrk;
  if (pid > 0) {
    g_wrk = -1;
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

void on_signal(int sig) {
  const pid_t pid = g_wrk;
  if (pid > 0) ::kill(pid, SIGKILL);
  on_fatal_signal(sig);  // kills the server, then dies of `sig`
}

// How one run went besides its figures.
struct Outcome {
  bool measured = false;
  Figures figures;
  std::string problem;      // why there is no figure
  long open_at_start = -1;  // the server's connections when the window started
  std::string wrk_errors;   // wrk's "Socket errors" / "Non-2xx" lines, if any
};

// Starts wrk on `url` for `seconds` with `conns` connections, its output to
// a pipe whose read end goes to `out_fd`.
pid_t start_wrk(const Load& load, const std::string& url, long conns, long seconds, int& out_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2: %s", std::strerror(errno));
  std::vector<std::string> args = {"wrk", "-t1", "-c" + std::to_string(conns),
                                   "-d" + std::to_string(seconds) + "s", "--timeout", "10s"};
  for (const std::string& h : load.headers) {
    args.push_back("-H");
    args.push_back(h);
  }
  args.push_back(url);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork: %s", std::strerror(errno));
  if (pid == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execvp("wrk", argv.data());
    std::_Exit(127);
  }
  g_wrk = pid;
  ::close(fds[1]);
  out_fd = fds[0];
  return pid;
}

// What wrk printed (read once it has ended; its output is small).
std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return s;
}

// wrk's lines about failures ("Socket errors: ...", "Non-2xx or 3xx responses: ..."), joined.
std::string wrk_errors(const std::string& out) {
  std::string e;
  std::size_t at = 0;
  while (at < out.size()) {
    const auto nl = out.find('\n', at);
    std::string line = out.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    at = nl == std::string::npos ? out.size() : nl + 1;
    line.erase(0, line.find_first_not_of(' '));
    if (line.rfind("Socket errors", 0) == 0 || line.rfind("Non-2xx", 0) == 0) {
      e += (e.empty() ? "" : "; ") + line;
    }
  }
  return e;
}

void sleep_seconds(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

struct Sample {
  double server_cpu;
  double wrk_cpu;
  double responses;
  std::chrono::steady_clock::time_point at;
};

Sample sample(const Started& s, pid_t wrk) {
  return {process_cpu_seconds(s.pid), process_cpu_seconds(wrk), s.responses(wrk),
          std::chrono::steady_clock::now()};
}

// Stops wrk as Ctrl-C would (it prints its summary and exits), SIGKILL if it
// has not ended 10 s later; returns its wait status.
int stop_wrk_gently(pid_t wrk) {
  ::kill(wrk, SIGINT);
  int status = 0;
  for (int i = 0; i < 1000; ++i) {
    if (::waitpid(wrk, &status, WNOHANG) == wrk) {
      g_wrk = -1;
      return status;
    }
    sleep_seconds(0.01);
  }
  stop_wrk();
  return SIGKILL;  // (a "killed by SIGKILL" status)
}

Outcome run_once(const Load& load, Slot slot, long conns, const Timing& t) {
  Outcome out;
  const Started server = load.start(slot, conns);
  if (server.pid < 0) {
    out.problem = server.problem;
    return out;
  }
  int wrk_out = -1;
  // wrk runs until it is stopped after the window; -d only bounds it.
  const pid_t wrk = start_wrk(load, server.url, conns,
                              static_cast<long>(kOpenLimit + t.warmup + t.measure) + 10, wrk_out);
  // Warm-up: until the server holds every connection (churn: until it has
  // answered), at most kOpenLimit; then t.warmup more.
  const auto start = std::chrono::steady_clock::now();
  const auto warm = [&] {
    return load.churn ? server.responses(wrk) > 0 : open_connections(server.pid) >= conns;
  };
  while (bench::seconds_since(start) < kOpenLimit && !warm() &&
         ::waitpid(wrk, nullptr, WNOHANG) == 0) {
    sleep_seconds(0.05);
  }
  sleep_seconds(t.warmup);
  if (!load.churn) out.open_at_start = open_connections(server.pid);
  const Sample a = sample(server, wrk);
  sleep_seconds(t.measure);
  const Sample b = sample(server, wrk);
  const int status = stop_wrk_gently(wrk);
  const std::string printed = read_all(wrk_out);
  int server_status = 0;
  const bool server_died = ::waitpid(server.pid, &server_status, WNOHANG) == server.pid;
  if (server_died) g_child = -1;
  stop_child();
  if (server_died) {
    out.problem = "the server ended during the run (status " + std::to_string(server_status) + ")";
    return out;
  }
  out.wrk_errors = wrk_errors(printed);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    out.problem = "wrk failed (status " + std::to_string(status) + "): " + printed.substr(0, 300);
    return out;
  }
  const double secs = std::chrono::duration<double>(b.at - a.at).count();
  if (a.responses < 0 || b.responses < 0) {
    out.problem = "cannot count the responses";
    return out;
  }
  const double responses = b.responses - a.responses;
  if (responses < 1) {
    out.problem = "no response in the measured window";
    return out;
  }
  const double server_cpu = b.server_cpu - a.server_cpu;
  const double wrk_cpu = b.wrk_cpu - a.wrk_cpu;
  out.figures = {responses / secs, server_cpu * 1e6 / responses, server_cpu / secs,
                 wrk_cpu * 1e6 / responses, wrk_cpu / secs};
  out.measured = true;
  return out;
}

}  // namespace

void fail(const char* fmt, ...) {
  stop_wrk();
  va_list ap;
  va_start(ap, fmt);
  echo_bench::vfail(g_name.c_str(), fmt, ap);
}

bool have_wrk() { return std::system("command -v wrk >/dev/null 2>&1") == 0; }

long setup(const std::string& name) {
  g_name = name;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, on_signal);
  return raise_fd_limit();  // wrk and the server children inherit it
}

pid_t fork_server(sockaddr_in& addr, const std::function<void(int listen_fd)>& serve) {
  const int lfd = bench::make_loopback_listener(addr, g_name.c_str(), 65535);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) fail("fork: %s", std::strerror(errno));
  if (pid == 0) {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::signal(sig, SIG_DFL);
    ::signal(SIGPIPE, SIG_IGN);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) std::_Exit(1);
    raise_fd_limit();
    serve(lfd);
    std::_Exit(0);
  }
  g_child = pid;
  ::close(lfd);
  return pid;
}

long open_connections(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return -1;
  long n = 0;
  char target[64];
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    const ssize_t len = ::readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    n += len > 7 && std::strncmp(target, "socket:", 7) == 0;
  }
  ::closedir(d);
  return n - 1;
}

double Point::med(int slot, double Figures::*field) const {
  std::vector<double> v;
  for (const Figures& f : samples[slot]) v.push_back(f.*field);
  return v.empty() ? std::nan("") : bench::median(v);
}

Point measure_point(const bench::Args& args, const Load& load, long requested, long fd_limit,
                    const Timing& t) {
  Point p;
  p.requested = requested;
  p.conns = requested;
  if (p.conns > fd_limit - kReservedFds) {
    p.conns = std::max(1L, fd_limit - kReservedFds);
    p.cap = "RLIMIT_NOFILE is " + with_commas(fd_limit) +
            " (wrk and each server need a descriptor per connection)";
    std::fprintf(stderr, "bench %s: %s connections capped at %s: %s\n", g_name.c_str(),
                 with_commas(p.requested).c_str(), with_commas(p.conns).c_str(), p.cap.c_str());
  }
  for (int r = 0; r < args.runs; ++r) {
    for (int slot : {kWeft, kLibev}) {
      if (!args.only.empty() && args.only != kNames[slot]) continue;
      p.measured[slot] = true;
      const Outcome o = run_once(load, static_cast<Slot>(slot), p.conns, t);
      if (!o.wrk_errors.empty()) p.errors[slot].push_back(o.wrk_errors);
      if (o.measured) {
        p.samples[slot].push_back(o.figures);
        if (o.open_at_start >= 0 && (p.fewest_open[slot] < 0 || o.open_at_start < p.fewest_open[slot])) {
          p.fewest_open[slot] = o.open_at_start;
        }
      } else {
        std::fprintf(stderr, "bench %s: %s at %s connections: %s\n", g_name.c_str(), kNames[slot],
                     with_commas(p.conns).c_str(), o.problem.c_str());
        p.problems[slot].push_back(o.problem);
      }
    }
  }
  return p;
}

std::string bench_name(const Load& load, const Point& p) {
  return load.name + "_c" + std::to_string(p.conns) + load.suffix;
}

void print_json(const Load& load, const Point& p) {
  const std::string name = bench_name(load, p);
  const std::string cpu = name + "_cpu";
  for (int slot : {kWeft, kLibev}) {
    if (!p.samples[slot].empty()) {
      bench::json_line(name.c_str(), kNames[slot], p.med(slot, &Figures::rate), "requests/s");
    }
  }
  for (int slot : {kWeft, kLibev}) {
    if (!p.samples[slot].empty()) {
      bench::json_line(cpu.c_str(), kNames[slot], p.med(slot, &Figures::server_us), "us");
    }
  }
  std::fflush(stdout);
}

void print_table(const Load& load, const Point& p, int runs, const Timing& t) {
  std::printf("%-12s %s, wrk -t1, %s connection%s (median of %d runs; %.3g s measured, from %.3g s"
              " after %s)\n",
              bench_name(load, p).c_str(), load.what.c_str(), with_commas(p.conns).c_str(),
              p.conns == 1 ? "" : "s", runs, t.measure, t.warmup,
              load.churn ? "the first responses" : "all were open");
  if (p.conns < p.requested) {
    std::printf("             capped at %s of %s connections: %s\n", with_commas(p.conns).c_str(),
                with_commas(p.requested).c_str(), p.cap.c_str());
  }
  std::printf("             %-8s %14s %16s %12s %16s %12s\n", "", "requests/s", "server CPU/req",
              "server busy", "wrk CPU/req", "wrk busy");
  for (int slot : {kWeft, kLibev}) {
    if (!p.measured[slot]) continue;
    if (p.samples[slot].empty()) {
      std::printf("             %-8s %14s\n", kNames[slot], "(no figure)");
      continue;
    }
    std::printf("             %-8s %14.4g %13.2f us %11.0f%% %13.2f us %11.0f%%\n", kNames[slot],
                p.med(slot, &Figures::rate), p.med(slot, &Figures::server_us),
                100 * p.med(slot, &Figures::server_busy), p.med(slot, &Figures::wrk_us),
                100 * p.med(slot, &Figures::wrk_busy));
  }
  if (!p.samples[kWeft].empty() && !p.samples[kLibev].empty()) {
    std::printf("             %-8s %14.3g %16.3g %12s %16.3g\n", "weft/libev",
                p.med(kWeft, &Figures::rate) / p.med(kLibev, &Figures::rate),
                p.med(kWeft, &Figures::server_us) / p.med(kLibev, &Figures::server_us), "",
                p.med(kWeft, &Figures::wrk_us) / p.med(kLibev, &Figures::wrk_us));
  }
  for (int slot : {kWeft, kLibev}) {
    if (p.fewest_open[slot] >= 0 && p.fewest_open[slot] < p.conns) {
      std::printf("             %s: only about %s connections were open when a window started\n",
                  kNames[slot], with_commas(p.fewest_open[slot]).c_str());
    }
    if (!p.problems[slot].empty()) {
      std::printf("             %s: %zu of %zu runs failed: %s\n", kNames[slot], p.problems[slot].size(),
                  p.problems[slot].size() + p.samples[slot].size(), p.problems[slot].back().c_str());
    }
    if (!p.errors[slot].empty()) {
      std::printf("             %s: wrk reported in %zu run(s): %s\n", kNames[slot],
                  p.errors[slot].size(), p.errors[slot].back().c_str());
    }
  }
  std::printf("             target: %s\n\n", load.target.c_str());
  std::fflush(stdout);
}

}  // namespace wrk_load
