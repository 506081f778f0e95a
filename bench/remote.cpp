// remote: tasklets across processes through a loopback nats-server (started
// here, tests/support/nats_server.hpp). Both sides run in this process, each
// with its own NATS connection, so the path is the full one: client ->
// nats-server -> serving connection -> back.
//
// remote_call: a call's round trip, µs. weft: RemoteTasklet::call to a
// registered tasklet that replies n + 1. Floor: raw cnats, a responder
// subscription replying from its delivery thread and a thread doing
// natsConnection_Request (its synchronous request/reply), both connections
// writing each publish at once as weft's calls and replies are
// (natsOptions_SetSendAsap; with cnats' default the responder's reply waits
// ~1 ms in the flusher thread).
// Target: weft <= 1.3x.
// remote_send: one-way sends, msgs/s, until the receiver has counted them all.
// weft: RemoteTasklet::send to a registered tasklet. Peer: natsConnection_Publish
// to a subscription callback that counts.
// Wall time (the work waits on sockets and other threads); on a loaded
// machine both sides slow alike, but the ratio is noisier than the CPU-bound
// benches'. So each also reports the process's CPU time (every thread of
// this process, user + system, from getrusage; the nats-server is another
// process and not counted) per call or per send: remote_call_cpu,
// remote_send_cpu, which a loaded machine disturbs less.

#include <nats/nats.h>
#include <sys/resource.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>
#include <tuple>

#include "bench/bench_util.hpp"
#include "mailbox/mailbox.hpp"
#include "remote/connection.hpp"
#include "tasklet/dispatch.hpp"
#include "tests/support/nats_server.hpp"

namespace {

weft_test::NatsServer* g_nats = nullptr;

// CPU time of the whole process (all threads, user + system), seconds.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// The CPU µs per operation of each run, by implementation: weft call, cnats
// call, weft send, cnats send.
std::vector<double> g_cpu[4];

struct Inc {
  using reply = int;
  static constexpr const char* wire_name = "Inc";
  int n = 0;
  auto tie() { return std::tie(n); }
};

double weft_call(long n) {
  double us = 0;
  weft::dispatch([&] {
    auto serving = weft::remote::Connection::connect(g_nats->url(), 5.0);
    auto echo = weft::receiver([](weft::Message& m) { m.reply<Inc>(m.as<Inc>().n + 1); },
                               {.name = "echo", .daemon = true});
    auto reg = serving.register_name<Inc>(echo, "bench.echo");
    auto client = weft::remote::Connection::connect(g_nats->url(), 5.0);
    auto remote = client.lookup("bench.echo", 5.0);
    int v = 0;
    for (int i = 0; i < 100; ++i) v = remote.call(Inc{v}, 5.0);  // warm up
    v = 0;
    const double cpu0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) v = remote.call(Inc{v}, 5.0);
    us = bench::seconds_since(t0) * 1e6 / static_cast<double>(n);
    g_cpu[0].push_back((process_cpu_seconds() - cpu0) * 1e6 / static_cast<double>(n));
    if (v != n) std::abort();
  });
  return us;
}

void check(natsStatus s, const char* what) {
  if (s != NATS_OK) {
    std::fprintf(stderr, "bench remote: %s failed: %s\n", what, natsStatus_GetText(s));
    std::exit(1);
  }
}

void cnats_echo(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  // The payload is a MessagePack int, as weft's would be; +1 keeps it honest.
  const int v = weft::remote::decode<int>({natsMsg_GetData(msg), static_cast<std::size_t>(natsMsg_GetDataLength(msg))});
  const std::string out = weft::remote::encode(v + 1);
  natsConnection_Publish(nc, natsMsg_GetReply(msg), out.data(), static_cast<int>(out.size()));
  natsMsg_Destroy(msg);
}

// A connection that writes each publish at once (natsOptions_SetSendAsap),
// as weft's calls and replies are: cnats' default hands publishes to a
// flusher thread that waits 1 ms for more, which would put a millisecond
// into the floor's reply.
natsConnection* connect_asap() {
  natsOptions* o = nullptr;
  natsConnection* nc = nullptr;
  check(natsOptions_Create(&o), "options");
  check(natsOptions_SetURL(o, g_nats->url().c_str()), "options");
  check(natsOptions_SetSendAsap(o, true), "options");
  check(natsConnection_Connect(&nc, o), "connect");
  natsOptions_Destroy(o);
  return nc;
}

double cnats_call(long n) {
  natsConnection* server = connect_asap();
  natsConnection* client = connect_asap();
  natsSubscription* sub = nullptr;
  check(natsConnection_Subscribe(&sub, server, "bench.raw", &cnats_echo, nullptr), "subscribe");
  check(natsConnection_Flush(server), "flush");
  int v = 0;
  auto one = [&] {
    natsMsg* reply = nullptr;
    const std::string out = weft::remote::encode(v);
    check(natsConnection_Request(&reply, client, "bench.raw", out.data(), static_cast<int>(out.size()), 5000),
          "request");
    v = weft::remote::decode<int>({natsMsg_GetData(reply), static_cast<std::size_t>(natsMsg_GetDataLength(reply))});
    natsMsg_Destroy(reply);
  };
  for (int i = 0; i < 100; ++i) one();
  v = 0;
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) one();
  const double us = bench::seconds_since(t0) * 1e6 / static_cast<double>(n);
  g_cpu[1].push_back((process_cpu_seconds() - cpu0) * 1e6 / static_cast<double>(n));
  if (v != n) std::abort();
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(client);
  natsConnection_Destroy(server);
  return us;
}

double weft_send(long n) {
  double rate = 0;
  weft::dispatch([&] {
    auto serving = weft::remote::Connection::connect(g_nats->url(), 5.0);
    long count = 0;
    auto sink = weft::receiver(
        [&](weft::Message& m) {
          if (m.is<Inc>()) {
            ++count;
          } else if (m.is_call()) {
            m.reply(static_cast<int>(count));
          }
        },
        {.name = "sink", .daemon = true});
    auto reg = serving.register_name<Inc, weft::remote::Call<long, int>>(sink, "bench.sink");
    auto client = weft::remote::Connection::connect(g_nats->url(), 5.0);
    auto remote = client.lookup("bench.sink", 5.0);
    const double cpu0 = process_cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) remote.send(Inc{static_cast<int>(i)});
    // NATS drops what a slow subscriber cannot keep up with (cnats' pending
    // limit): poll until all arrived or none arrives for 0.5 s; the rate is
    // of what arrived.
    long got = 0;
    auto last = std::chrono::steady_clock::now();
    for (;;) {
      const long now = remote.call<int>(0L, 5.0);
      if (now != got) last = std::chrono::steady_clock::now();
      got = now;
      if (got >= n || bench::seconds_since(last) > 0.5) break;
      weft::Tasklet::sleep(0.001);
    }
    rate = static_cast<double>(got) / std::chrono::duration<double>(last - t0).count();
    g_cpu[2].push_back((process_cpu_seconds() - cpu0) * 1e6 / static_cast<double>(got));
    if (got < n) std::fprintf(stderr, "bench remote: weft: %ld of %ld sends arrived\n", got, n);
  });
  return rate;
}

void cnats_count(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  static_cast<std::atomic<long>*>(closure)->fetch_add(1, std::memory_order_relaxed);
  natsMsg_Destroy(msg);
}

double cnats_send(long n) {
  natsConnection* server = nullptr;
  natsConnection* client = nullptr;
  natsSubscription* sub = nullptr;
  std::atomic<long> count{0};
  check(natsConnection_ConnectTo(&server, g_nats->url().c_str()), "connect");
  check(natsConnection_ConnectTo(&client, g_nats->url().c_str()), "connect");
  check(natsConnection_Subscribe(&sub, server, "bench.rawsink", &cnats_count, &count), "subscribe");
  check(natsConnection_Flush(server), "flush");
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; ++i) {
    const std::string out = weft::remote::encode(std::tuple<std::string, int, int>{"Inc", 0, static_cast<int>(i)});
    check(natsConnection_Publish(client, "bench.rawsink", out.data(), static_cast<int>(out.size())), "publish");
  }
  check(natsConnection_Flush(client), "flush");
  long got = 0;
  auto last = std::chrono::steady_clock::now();
  for (;;) {
    const long now = count.load();
    if (now != got) last = std::chrono::steady_clock::now();
    got = now;
    if (got >= n || bench::seconds_since(last) > 0.5) break;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  const double rate = static_cast<double>(got) / std::chrono::duration<double>(last - t0).count();
  g_cpu[3].push_back((process_cpu_seconds() - cpu0) * 1e6 / static_cast<double>(got));
  if (got < n) std::fprintf(stderr, "bench remote: cnats: %ld of %ld sends arrived\n", got, n);
  natsSubscription_Unsubscribe(sub);
  natsSubscription_Destroy(sub);
  natsConnection_Destroy(client);
  natsConnection_Destroy(server);
  return rate;
}

double cpu_median(int i) { return g_cpu[i].empty() ? std::nan("") : bench::median(g_cpu[i]); }

}  // namespace

int main(int argc, char** argv) {
  const bench::Args a = bench::parse(argc, argv);
  weft_test::NatsServer nats;
  g_nats = &nats;
  const long calls = static_cast<long>(5000 * a.scale);
  const long sends = static_cast<long>(100000 * a.scale);
  const auto c = bench::measure(a, {{"weft", &weft_call}, {"cnats", &cnats_call}}, calls);
  bench::report(a, "remote_call", "us", "call round trip through a loopback nats-server",
                {"weft", "cnats"}, c, true, "weft <= 1.3x raw cnats request/reply");
  bench::report(a, "remote_call_cpu", "us", "process CPU per call (all threads; same runs)",
                {"weft", "cnats"}, {cpu_median(0), cpu_median(1)}, true, "(CPU cost; no target)");
  const auto s = bench::measure(a, {{"weft", &weft_send}, {"cnats", &cnats_send}}, sends);
  bench::report(a, "remote_send", "msgs/s", "one-way sends through a loopback nats-server",
                {"weft", "cnats"}, s, false, "(throughput of one-way sends; no target)");
  bench::report(a, "remote_send_cpu", "us", "process CPU per send (all threads; same runs)",
                {"weft", "cnats"}, {cpu_median(2), cpu_median(3)}, true, "(CPU cost; no target)");
  g_nats = nullptr;
  return 0;
}
