// The remote example (examples/remote/kv.cpp): a store served by one process,
// written and read by others.

#include <string>

#include "remote/remote_paths.hpp"
#include "tests/io/support.hpp"
#include "tests/support/nats_server.hpp"
#include "tests/support/weft_test.hpp"

using io_test::Child;
using weft_test::run;

TEST_SUITE("remote") {

TEST_CASE("kv example: one process serves the store, others put and get") {
  weft_test::NatsServer nats;
  run([&] {
    Child server({WEFT_REMOTE_KV, "serve", nats.url()});
    REQUIRE(server.read_line(10.0) == "serving kv on " + nats.url());
    auto kv = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {WEFT_REMOTE_KV, nats.url()});
      Child c(args);
      std::string out = c.read_line(10.0);
      CHECK(c.stop(0, 10.0) == 0);
      return out;
    };
    CHECK(kv({"get", "colour"}) == "(none)");
    kv({"put", "colour", "blue"});
    kv({"put", "size", "XL"});
    CHECK(kv({"get", "colour"}) == "blue");
    CHECK(kv({"count"}) == "2");
    CHECK(server.stop(SIGTERM) == 143);
  });
}

}  // TEST_SUITE
