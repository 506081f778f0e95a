// A small distributed key-value store on remote tasklets: one process serves
// the store under the name "kv", any other process on the same NATS server
// reads and writes it.
//
//   kv serve nats://127.0.0.1:4222              # prints "serving kv", runs until SIGTERM
//   kv nats://127.0.0.1:4222 put colour blue    # one-way send
//   kv nats://127.0.0.1:4222 get colour         # a call: prints "blue" (or "(none)")
//   kv nats://127.0.0.1:4222 count              # a call: how many keys
//
// The store is an ordinary tasklet with a mailbox: it receives Put, Get and
// Count as it would from local tasklets; remote/ encodes them with the codec
// trait (their tie()) and names them on the wire by wire_name.

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <tuple>

#include "mailbox/mailbox.hpp"
#include "remote/connection.hpp"
#include "tasklet/dispatch.hpp"
#include "tasklet/tasklet.hpp"

namespace kv {

struct Put {
  static constexpr const char* wire_name = "kv.Put";
  std::string key, value;
  auto tie() { return std::tie(key, value); }
};
struct Get {
  using reply = std::optional<std::string>;
  static constexpr const char* wire_name = "kv.Get";
  std::string key;
  auto tie() { return std::tie(key); }
};
struct Count {
  using reply = std::size_t;
  static constexpr const char* wire_name = "kv.Count";
  auto tie() { return std::tie(); }
};

}  // namespace kv

namespace {

int serve(const std::string& url) {
  auto conn = weft::remote::Connection::connect(url, 5.0);
  std::map<std::string, std::string> data;
  auto store = weft::receiver([&](weft::Message& m) {
    m.visit([&](kv::Put& p) { data[p.key] = p.value; },
            [&](kv::Get& g) {
              auto it = data.find(g.key);
              m.reply<kv::Get>(it == data.end() ? std::nullopt : std::optional(it->second));
            },
            [&](kv::Count&) { m.reply<kv::Count>(data.size()); });
  });
  auto reg = conn.register_name<kv::Put, kv::Get, kv::Count>(store, "kv");
  std::printf("serving kv on %s\n", url.c_str());
  std::fflush(stdout);
  weft::Tasklet::join(store, weft::never);  // SIGTERM ends dispatch (and kills the store)
  return 0;
}

int client(const std::string& url, const std::string& op, int argc, char** argv) {
  auto conn = weft::remote::Connection::connect(url, 5.0);
  auto store = conn.lookup("kv", 5.0);
  if (op == "put" && argc == 2) {
    store.send(kv::Put{argv[0], argv[1]});
    store.call(kv::Count{}, 5.0);  // a round trip: the put has been applied
  } else if (op == "get" && argc == 1) {
    std::optional<std::string> v = store.call(kv::Get{argv[0]}, 5.0);
    std::printf("%s\n", v ? v->c_str() : "(none)");
  } else if (op == "count" && argc == 0) {
    std::printf("%zu\n", store.call(kv::Count{}, 5.0));
  } else {
    std::fprintf(stderr, "kv: unknown command\n");
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::string(argv[1]) == "serve") {
    return weft::dispatch([&] { return serve(argv[2]); });
  }
  if (argc >= 3) {
    return weft::dispatch([&] { return client(argv[1], argv[2], argc - 3, argv + 3); });
  }
  std::fprintf(stderr,
               "usage: kv serve URL | kv URL put KEY VALUE | kv URL get KEY | kv URL count\n");
  return 2;
}
