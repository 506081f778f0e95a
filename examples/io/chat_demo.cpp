// `make demo`: the chat server on loopback with a few hundred client tasklets
// in the same process, and one client that never reads. Prints what happened.
//
//   chat_demo [CLIENTS [MESSAGES_EACH [INTERVAL_MS]]]
//
// Defaults: 200 clients, 5 messages each, about one message per client every
// 2 s (each message fans out to every client: 200 clients at 0.5 msg/s is
// 20,000 lines/s for the room and the writers).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "examples/io/chat_room.hpp"
#include "io/server.hpp"
#include "io/stream.hpp"
#include "sched/wait_list.hpp"
#include "tasklet/dispatch.hpp"

namespace {

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(weft::now().time_since_epoch())
      .count();
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const auto k = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  const int clients = argc > 1 ? std::atoi(argv[1]) : 200;
  const int each = argc > 2 ? std::atoi(argv[2]) : 5;
  const int interval_ms = argc > 3 ? std::atoi(argv[3]) : 2000;
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // in a pipe too, lines keep their order with the log's
  return weft::dispatch([&] {
    chat::RoomOptions options;
    options.client_queue = 64;  // small, and small socket buffers: the slow client is found fast
    const weft::Tasklet room = chat::start_room(options);
    auto server = weft::serve(weft::Endpoint::ip("127.0.0.1", 0),
                              [&](weft::Socket& s) { chat::serve_client(s, room, options); },
                              {.name = "chat", .listen = {.backlog = 4096, .send_buffer = 4096}});
    std::printf("chat server on %s; %d clients will each send %d messages, paced at about "
                "one every %g s\n",
                server.endpoint().to_string().c_str(), clients, each, interval_ms / 1000.0);

    std::vector<double> latencies_ms;  // send -> receipt, for every delivery
    std::size_t chat_lines = 0;        // chat lines received by all clients
    int joined = 0;
    weft::WaitList all_joined;
    const std::size_t expected = static_cast<std::size_t>(clients) * clients * each;

    // One slow client: joins, then never reads. The room must drop it, not wait for it.
    bool slow_dropped = false;
    auto slow = weft::Tasklet::spawn([&] {
      weft::Socket s = weft::Socket::connect(server.endpoint(), 5.0, {.recv_buffer = 4096});
      s.write_all("slowpoke\n", 5.0);
      weft::Tasklet::sleep(weft::never);
    });

    const auto start = weft::now();
    std::vector<weft::Tasklet> tasks;
    for (int i = 0; i < clients; ++i) {
      tasks.push_back(weft::Tasklet::spawn([&, i] {
        weft::Socket s = weft::Socket::connect(server.endpoint(), 10.0);
        weft::BufferedStream io(s);
        const std::string name = std::string("c").append(std::to_string(i));
        io.write(name + "\n");
        io.flush(5.0);
        if (++joined == clients) all_joined.notify_all();
        while (joined < clients) (void)all_joined.wait(weft::Deadline::never());
        // A sender paces this client's messages; this tasklet reads.
        auto sender = weft::Tasklet::spawn([&s, each, interval_ms] {
          for (int k = 0; k < each; ++k) {
            // Spread over the interval: 0.5 to 1.5 times it.
            weft::Tasklet::sleep(0.001 * interval_ms * (0.5 + (std::rand() % 1000) / 1000.0));
            s.write_all("t=" + std::to_string(now_us()) + "\n", 5.0);
          }
        });
        std::size_t mine = 0;
        while (mine < static_cast<std::size_t>(clients) * each) {
          const std::string line = io.read_line(20.0);
          if (line.find("slowpoke was dropped") != std::string::npos) slow_dropped = true;
          const auto at = line.find(": t=");
          if (at == std::string::npos) continue;  // a notice
          latencies_ms.push_back(static_cast<double>(now_us() - std::atoll(line.c_str() + at + 4)) /
                                 1000.0);
          ++mine;
          ++chat_lines;
        }
        sender.join();
      }));
    }
    std::size_t failed = 0;
    for (const auto& o : weft::Tasklet::join_all(tasks, 120.0)) failed += o.ok() ? 0 : 1;
    const double secs = std::chrono::duration<double>(weft::now() - start).count();
    const chat::RoomStats st = chat::stats(room);
    slow.kill();

    std::printf("%d clients joined; %zu messages said; %zu of %zu chat lines delivered in %.2f s"
                " (%.0f lines/s)\n",
                clients, st.said, chat_lines, expected, secs, static_cast<double>(chat_lines) / secs);
    std::printf("latency from send to receipt: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
                percentile(latencies_ms, 0.50), percentile(latencies_ms, 0.99),
                percentile(latencies_ms, 1.0));
    std::printf("the slow client that never reads was %s (%zu client(s) dropped in all)\n",
                slow_dropped ? "dropped with a message, and nobody waited for it"
                             : "NOT dropped",
                st.dropped);
    if (failed > 0) std::printf("%zu client tasklets failed\n", failed);
    server.stop(1.0);
    room.kill();
    return (failed == 0 && chat_lines == expected && slow_dropped) ? 0 : 1;
  });
}
