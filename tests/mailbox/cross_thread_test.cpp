// The cross-thread doors all at once: LoopRef::post, Address::send and
// to_thread, between several loops and plain OS threads. `make tsan` runs it
// under ThreadSanitizer (with the other cross-thread tests); everywhere it
// checks that nothing is lost, duplicated or reordered.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mailbox/address.hpp"
#include "mailbox/mailbox.hpp"
#include "sched/loop.hpp"
#include "sched/to_thread.hpp"
#include "sched/wait_list.hpp"
#include "tests/support/weft_test.hpp"

using weft::Address;
using weft::LoopRef;
using weft::Message;
using weft::Tasklet;

namespace {

// A message whose payload lives on the heap: made by the sender's thread,
// read and freed by the receiver's.
struct Note {
  int from;
  int seq;
  std::string text;
};

std::string text_of(int from, int seq) {
  return "note " + std::to_string(seq) + " from sender " + std::to_string(from);
}

// A payload that counts its live copies from any thread.
struct Tracked {
  static inline std::atomic<int> live{0};
  int seq;
  explicit Tracked(int s) : seq(s) { live.fetch_add(1); }
  Tracked(const Tracked& o) : seq(o.seq) { live.fetch_add(1); }
  Tracked(Tracked&& o) noexcept : seq(o.seq) { live.fetch_add(1); }
  Tracked& operator=(const Tracked&) = default;
  ~Tracked() { live.fetch_sub(1); }
};

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("3 loops and 2 plain threads post, send and offload at once: all arrive once, in order") {
  static constexpr int kLoops = 3;
  static constexpr int kPlain = 2;          // senders kLoops .. kLoops + kPlain - 1
  static constexpr int kEach = 5000;        // messages (and posts) from each sender to each loop
  static constexpr int kJobs = 200;         // to_thread calls on each loop
  static constexpr int kSenders = kLoops + kPlain;

  struct Node {
    Address inbox;
    LoopRef loop;
    weft::WaitList* posts_done = nullptr;  // on that loop's main tasklet's stack
  };
  std::vector<Node> nodes(kLoops);  // written before `ready` counts, read after it is full
  std::mutex mu;
  std::condition_variable cv;
  int ready = 0;
  int refused = 0;  // guarded by mu
  auto publish_and_wait = [&](int me, Node node) {
    std::unique_lock<std::mutex> lock(mu);
    nodes[static_cast<std::size_t>(me)] = std::move(node);
    ++ready;
    cv.notify_all();
    cv.wait(lock, [&] { return ready == kLoops; });
  };
  auto wait_ready = [&] {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ready == kLoops; });
  };

  // Per loop, written on that loop's thread only and read after it is joined.
  struct Result {
    int received = 0;
    int sends_refused = 0;
    int out_of_order = 0;
    int bad_text = 0;
    int posted = 0;
    int posts_out_of_order = 0;
    std::vector<int> next_post = std::vector<int>(kSenders, 0);
    long job_sum = 0;
    int exit_code = -1;
  };
  std::vector<Result> results(kLoops);

  std::vector<std::thread> threads;
  for (int me = 0; me < kLoops; ++me) {
    threads.emplace_back([&, me] {
      Result& r = results[static_cast<std::size_t>(me)];
      weft::DispatchOptions options;
      options.handle_signals = false;
      r.exit_code = weft::dispatch([&] {
        weft::WaitList posts_done;
        publish_and_wait(me, Node{Address(Tasklet::current()), weft::this_loop(), &posts_done});

        auto sender = Tasklet::spawn([&] {
          for (int seq = 0; seq < kEach; ++seq) {
            for (int to = 0; to < kLoops; ++to) {
              if (to == me) continue;
              if (!nodes[static_cast<std::size_t>(to)].inbox.send(Note{me, seq, text_of(me, seq)})) {
                ++r.sends_refused;
              }
            }
            if (seq % 64 == 0) Tasklet::yield_();
          }
        });
        std::vector<Tasklet> offloaders;
        for (int k = 0; k < 4; ++k) {
          offloaders.push_back(Tasklet::spawn([&r, k] {
            for (int j = k; j < kJobs; j += 4) {
              std::vector<int> input(16, j);  // made here, read on a worker
              r.job_sum += weft::to_thread([&input] {
                long s = 0;
                for (int v : input) s += v;
                return s;
              });
            }
          }));
        }

        std::vector<int> next(kSenders, 0);
        const int expected = (kSenders - 1) * kEach;
        while (r.received < expected) {
          for (Message& m : weft::receive_batch(256, 0.0, 30.0)) {
            const Note& n = m.as<Note>();
            int& want = next[static_cast<std::size_t>(n.from)];
            if (n.seq != want) ++r.out_of_order;
            if (n.text != text_of(n.from, n.seq)) ++r.bad_text;
            want = n.seq + 1;
            ++r.received;
          }
        }
        sender.join();
        Tasklet::join_all(offloaders);
        // The posts of the plain threads (each runs on this loop, in order per thread).
        auto d = weft::Deadline::from(30.0);
        while (r.posted < kPlain * kEach) weft::check_wake(posts_done.wait(d), d, "posts");
      }, std::move(options));
    });
  }
  for (int p = 0; p < kPlain; ++p) {
    threads.emplace_back([&, p] {
      wait_ready();
      const int from = kLoops + p;
      for (int seq = 0; seq < kEach; ++seq) {
        for (int to = 0; to < kLoops; ++to) {
          const Node& node = nodes[static_cast<std::size_t>(to)];
          const bool sent = node.inbox.send(Note{from, seq, text_of(from, seq)}).ok();
          const bool posted = node.loop.post([&r = results[static_cast<std::size_t>(to)],
                                              done = node.posts_done, from, seq] {
            int& want = r.next_post[static_cast<std::size_t>(from)];
            if (seq != want) ++r.posts_out_of_order;
            want = seq + 1;
            if (++r.posted == kPlain * kEach) done->notify_all();
          });
          if (!sent || !posted) {
            std::lock_guard<std::mutex> lock(mu);
            ++refused;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(refused == 0);
  for (const Result& r : results) {
    CHECK(r.exit_code == 0);
    CHECK(r.sends_refused == 0);
    CHECK(r.received == (kSenders - 1) * kEach);
    CHECK(r.out_of_order == 0);
    CHECK(r.bad_text == 0);
    CHECK(r.posted == kPlain * kEach);
    CHECK(r.posts_out_of_order == 0);
    CHECK(r.job_sum == 16L * (kJobs - 1) * kJobs / 2);
  }
}

TEST_CASE("senders racing the end of their receiver: each message is received or refused, none leaks") {
  weft_test::run([] {
    constexpr int kRounds = 50;
    constexpr int kThreads = 3;
    constexpr int kEach = 300;
    for (int round = 0; round < kRounds; ++round) {
      const int take = 1 + round * 37 % 250;  // the receiver ends after this many
      int received = 0;
      auto receiver = Tasklet::spawn([&] {
        while (received < take) {
          (void)weft::receive(10.0).as<Tracked>();
          ++received;
        }
      });
      std::atomic<int> accepted{0};
      {
        Address inbox(receiver);
        std::vector<std::thread> senders;
        for (int t = 0; t < kThreads; ++t) {
          senders.emplace_back([inbox, &accepted] {
            for (int i = 0; i < kEach; ++i) {
              if (inbox.send(Tracked(i))) accepted.fetch_add(1);
            }
          });
        }
        receiver.join(10.0);
        for (auto& th : senders) th.join();
      }
      Tasklet::sleep(0.005);  // the loop polls: drains posted by late senders run
      CHECK(received == take);
      CHECK(accepted.load() >= take);
      CHECK(Tracked::live.load() == 0);
    }
  });
}

}  // TEST_SUITE
