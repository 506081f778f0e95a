// The chat example: the room actor in this process, and the chat_server program.

#include <string>
#include <vector>

#include "examples/io/chat_room.hpp"
#include "io/io_example_paths.hpp"
#include "io/server.hpp"
#include "io/stream.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/io/support.hpp"
#include "tests/support/weft_test.hpp"

using weft::BufferedStream;
using weft::Socket;
using weft::Tasklet;
using weft_test::run;
using weft_test::since;

namespace {

struct Client {
  Socket socket;
  BufferedStream io;
  Client(const weft::Endpoint& at, const std::string& name, weft::SocketOptions o = {})
      : socket(Socket::connect(at, 2.0, o)), io(socket) {
    say(name);
  }
  void say(const std::string& line) {
    io.write(line + "\n", 2.0);
    io.flush(2.0);
  }
  std::string next(weft::Timeout t = 2.0) { return io.read_line(t); }
  // Skips notices until a chat line arrives.
  std::string next_chat(weft::Timeout t = 2.0) {
    for (;;) {
      std::string l = next(t);
      if (l.rfind("* ", 0) != 0) return l;
    }
  }
};

}  // namespace

TEST_SUITE("io") {

TEST_CASE("chat: join notices, every line to every member in order, leave notices") {
  run([] {
    const Tasklet room = chat::start_room();
    auto server = weft::serve(weft::Endpoint::ip("127.0.0.1", 0),
                              [&room](Socket& s) { chat::serve_client(s, room); });
    Client ann(server.endpoint(), "ann");
    CHECK(ann.next() == "* ann joined");
    Client bob(server.endpoint(), "bob");
    CHECK(ann.next() == "* bob joined");
    CHECK(bob.next() == "* bob joined");
    ann.say("hello");
    ann.say("anyone?");
    for (Client* c : {&ann, &bob}) {
      CHECK(c->next() == "ann: hello");  // one sender's lines stay in order
      CHECK(c->next() == "ann: anyone?");
    }
    bob.say("hi ann");
    CHECK(ann.next() == "bob: hi ann");
    CHECK(bob.next() == "bob: hi ann");
    // Lines from different senders race, but every member sees the same order.
    for (int i = 0; i < 20; ++i) {
      ann.say(std::string("a").append(std::to_string(i)));
      bob.say(std::string("b").append(std::to_string(i)));
    }
    std::vector<std::string> seen_by_ann, seen_by_bob;
    for (int i = 0; i < 40; ++i) {
      seen_by_ann.push_back(ann.next());
      seen_by_bob.push_back(bob.next());
    }
    CHECK(seen_by_ann == seen_by_bob);
    bob.socket.close();
    CHECK(ann.next() == "* bob left");
    const chat::RoomStats st = chat::stats(room);
    CHECK(st.members == 1);
    CHECK(st.joined == 2);
    CHECK(st.said == 43);
    CHECK(st.dropped == 0);
    server.stop(1.0);
    room.kill();
  });
}

TEST_CASE("chat: a slow client that reads nothing is dropped and does not stall the room") {
  run([] {
    chat::RoomOptions o;
    o.client_queue = 16;
    const Tasklet room = chat::start_room(o);
    weft::ServerOptions so;
    so.listen.send_buffer = 4096;
    auto server = weft::serve(weft::Endpoint::ip("127.0.0.1", 0),
                              [&](Socket& s) { chat::serve_client(s, room, o); }, so);
    Client slow(server.endpoint(), "slow", {.recv_buffer = 4096});
    Client a(server.endpoint(), "a");
    Client b(server.endpoint(), "b");
    Tasklet::sleep(0.02);
    // a talks a lot; b must hear every line promptly although slow reads nothing.
    const std::string filler(200, 'f');
    bool dropped_seen = false;
    const auto start = weft::now();
    for (int i = 0; i < 300; ++i) {
      a.say(std::to_string(i) + filler);
      for (;;) {
        const std::string l = b.next(1.0);
        if (l == "* slow was dropped: too slow") {
          dropped_seen = true;
          continue;
        }
        if (l.rfind("* ", 0) == 0) continue;
        CHECK(l == "a: " + std::to_string(i) + filler);
        break;
      }
    }
    CHECK(since(start) < 5.0);
    CHECK(dropped_seen);
    CHECK(chat::stats(room).dropped == 1);
    CHECK(chat::stats(room).members == 2);
    // The slow client's connection ends: draining it reaches EOF.
    char buf[4096];
    std::size_t n;
    do {
      n = slow.io.read(buf, 2.0);
    } while (n > 0);
    server.stop(1.0);
    room.kill();
  });
}

TEST_CASE("chat example: the chat_server program with two clients") {
  run([] {
    io_test::Child server({WEFT_CHAT_SERVER, "127.0.0.1:0"});
    const weft::Endpoint at = server.listening_endpoint();
    Client x(at, "x");
    CHECK(x.next() == "* x joined");
    Client y(at, "y");
    CHECK(x.next() == "* y joined");
    y.say("ping");
    CHECK(x.next_chat() == "y: ping");
    CHECK(y.next_chat() == "y: ping");
    CHECK(server.stop() == 143);
  });
}

}  // TEST_SUITE
