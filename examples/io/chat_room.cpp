#include "examples/io/chat_room.hpp"

#include <string>
#include <utility>
#include <vector>

#include "io/stream.hpp"
#include "mailbox/mailbox.hpp"
#include "sched/log.hpp"

namespace chat {

namespace {

// One connected client, shared by its reader, its writer and the room.
struct Client {
  std::string name;
  weft::Tasklet writer;
  weft::Socket* socket = nullptr;  // cleared by the reader before the socket goes
  bool dropped = false;            // set by the room
};

// Messages to the room.
struct Join {
  std::shared_ptr<Client> client;
};
struct Leave {
  std::shared_ptr<Client> client;
};
struct Say {
  std::shared_ptr<Client> client;
  std::string text;
};
struct GetStats {};

// Messages to a writer: one line to send.
struct Line {
  std::string text;
};

// "* <name><what>\n": a line from the room itself.
std::string notice(const std::string& name, const char* what) {
  std::string line = "* ";
  line.append(name).append(what).append("\n");
  return line;
}

class Room {
 public:
  explicit Room(RoomOptions o) : options_(o) {}

  void run() {
    for (;;) {
      weft::Message m = weft::receive(weft::never);
      m.visit([&](Join& j) { join(std::move(j.client)); },
              [&](Leave& l) { leave(*l.client, notice(l.client->name, " left")); },
              [&](Say& s) {
                ++stats_.said;
                broadcast(s.client->name + ": " + s.text + "\n");
              },
              [&](GetStats&) {
                stats_.members = members_.size();
                m.reply(stats_);
              });
      drop_slow();
      // Let the writers (woken first by try_send) drain before the next message,
      // so that a burst of messages does not pile up in every queue at once.
      weft::Tasklet::yield_();
    }
  }

 private:
  void join(std::shared_ptr<Client> c) {
    ++stats_.joined;
    members_.push_back(c);
    broadcast(notice(c->name, " joined"));
  }

  void leave(Client& c, const std::string& notice) {
    for (auto it = members_.begin(); it != members_.end(); ++it) {
      if (it->get() == &c) {
        members_.erase(it);
        broadcast(notice);
        return;
      }
    }
  }

  // Queues `line` to every member without ever waiting; members whose queue
  // is full are marked for drop_slow().
  void broadcast(const std::string& line) {
    for (const auto& c : members_) {
      const weft::SendResult r = weft::try_send(c->writer, Line{line});
      if (r) {
        ++stats_.delivered;
      } else if (r.is_full() && !c->dropped) {  // finished: the client is leaving anyway
        c->dropped = true;
        slow_.push_back(c);
      }
    }
  }

  // Drops the clients found too slow (announcing it may find more: a loop, not recursion).
  void drop_slow() {
    while (!slow_.empty()) {
      std::shared_ptr<Client> c = std::move(slow_.back());
      slow_.pop_back();
      ++stats_.dropped;
      weft::log(weft::LogLevel::info, "chat: dropping " + c->name + ": " +
                                          std::to_string(options_.client_queue) +
                                          " lines are waiting for it");
      c->writer.kill();  // its queue goes with it
      if (c->socket != nullptr && c->socket->is_open()) {
        try {
          c->socket->shutdown(weft::Shutdown::read);  // its reader sees EOF and ends
        } catch (const weft::IoError&) {
        }
      }
      leave(*c, notice(c->name, " was dropped: too slow"));
    }
  }

  RoomOptions options_;
  std::vector<std::shared_ptr<Client>> members_;
  std::vector<std::shared_ptr<Client>> slow_;  // found too slow, to drop
  RoomStats stats_;
};

// The writer tasklet's body: lines from its mailbox to the socket, flushed
// whenever the mailbox runs empty. Ends quietly when the client is gone.
void write_lines(weft::Socket& s) {
  weft::BufferedStream out(s);
  try {
    for (;;) {
      weft::Message m = weft::receive(weft::never);
      do {
        if (auto* l = m.get_if<Line>()) out.write(l->text, weft::never);
        m = weft::try_receive();
      } while (m);
      out.flush(weft::never);
    }
  } catch (const weft::IoError&) {
    // The client is gone (reset, or closed while lines were on their way): the
    // writer ends; its reader sees the same and leaves the room.
  }
}

}  // namespace

weft::Tasklet start_room(RoomOptions options) {
  return weft::Tasklet::spawn([options] { Room(options).run(); }, {.name = "chat room"});
}

RoomStats stats(const weft::Tasklet& room, weft::Timeout t) {
  return weft::call<RoomStats>(room, GetStats{}, t);
}

void serve_client(weft::Socket& s, const weft::Tasklet& room, const RoomOptions& options) {
  weft::BufferedStream in(s, {.max_line = 4096});
  auto client = std::make_shared<Client>();
  client->name = in.read_line(30.0);
  client->socket = &s;
  weft::SpawnOptions wo;
  wo.name = "chat writer " + client->name;
  wo.max_mailbox_len = options.client_queue;
  client->writer = weft::Tasklet::spawn([&s] { write_lines(s); }, wo);
  // However this tasklet ends (EOF, error, kill), the room forgets the client
  // and the writer goes: both use this connection's socket.
  struct Leaving {
    const weft::Tasklet& room;
    std::shared_ptr<Client> client;
    ~Leaving() {
      client->socket = nullptr;
      try {
        weft::send(room, Leave{client});  // the room's mailbox is unbounded: never parks
        client->writer.kill();
      } catch (...) {
        // the room is gone (the loop is ending): nothing to tell it
      }
    }
  } leaving{room, client};
  weft::send(room, Join{client});
  try {
    for (;;) weft::send(room, Say{client, in.read_line(weft::never)});
  } catch (const weft::EofError&) {
    // the client left (or the room dropped it: then its read side was shut down)
  }
  if (client->dropped) {
    try {
      s.write_all("* you were dropped: too slow\n", 0.1);  // best effort: its buffers may be full
    } catch (const std::exception&) {
    }
  }
}

}  // namespace chat
