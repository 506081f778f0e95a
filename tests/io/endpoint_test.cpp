#include <netinet/in.h>
#include <sys/un.h>

#include <stdexcept>
#include <string>

#include "io/endpoint.hpp"
#include "io/errors.hpp"
#include "tests/support/weft_test.hpp"

using weft::Endpoint;
using weft_test::run;

TEST_SUITE("io") {

TEST_CASE("Endpoint: numeric addresses, Unix paths, parsing and printing") {
  const Endpoint v4 = Endpoint::ip("127.0.0.1", 8080);
  CHECK(v4.family() == Endpoint::Family::ipv4);
  CHECK(v4.port() == 8080);
  CHECK(v4.address() == "127.0.0.1");
  CHECK(v4.to_string() == "127.0.0.1:8080");
  CHECK(v4.domain() == AF_INET);
  CHECK(v4.size() == sizeof(sockaddr_in));
  CHECK(reinterpret_cast<const sockaddr_in*>(v4.data())->sin_port == htons(8080));

  const Endpoint v6 = Endpoint::ip("::1", 443);
  CHECK(v6.family() == Endpoint::Family::ipv6);
  CHECK(v6.to_string() == "[::1]:443");
  CHECK(v6.domain() == AF_INET6);

  const Endpoint un = Endpoint::unix_path("/tmp/x.sock");
  CHECK(un.family() == Endpoint::Family::unix_path);
  CHECK(un.address() == "/tmp/x.sock");
  CHECK(un.to_string() == "unix:/tmp/x.sock");
  CHECK(un.port() == 0);
  CHECK(un.domain() == AF_UNIX);

  CHECK(Endpoint::parse("127.0.0.1:8080") == v4);
  CHECK(Endpoint::parse("[::1]:443") == v6);
  CHECK(Endpoint::parse("unix:/tmp/x.sock") == un);
  CHECK_FALSE(v4 == Endpoint::ip("127.0.0.1", 8081));
  CHECK_FALSE(v4 == v6);

  const Endpoint none;
  CHECK(none.empty());
  CHECK(none.family() == Endpoint::Family::none);
  CHECK(none.to_string() == "(none)");
  CHECK(none.domain() == AF_UNSPEC);
  CHECK(none == Endpoint());

  CHECK(Endpoint::from_sockaddr(v4.data(), v4.size()) == v4);
  CHECK(Endpoint::from_sockaddr(v6.data(), v6.size()) == v6);
  CHECK(Endpoint::from_sockaddr(un.data(), un.size()) == un);

  CHECK_THROWS_WITH_AS(Endpoint::ip("localhost", 80),
                       doctest::Contains("not a numeric IPv4 or IPv6 address"),
                       std::invalid_argument);
  CHECK_THROWS_AS(Endpoint::parse("127.0.0.1"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::parse("127.0.0.1:99999"), doctest::Contains("not a port number"),
                       std::invalid_argument);
  CHECK_THROWS_AS(Endpoint::parse("[::1:80"), std::invalid_argument);
  CHECK_THROWS_AS(Endpoint::unix_path(""), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::unix_path(std::string(200, 'p')), doctest::Contains("the limit is"),
                       std::invalid_argument);
  sockaddr bad{};
  bad.sa_family = AF_APPLETALK;
  CHECK_THROWS_AS(Endpoint::from_sockaddr(&bad, sizeof bad), std::invalid_argument);
}

TEST_CASE("Endpoint::resolve: numeric at once, names through a worker thread") {
  // Numeric: no loop needed.
  CHECK(Endpoint::resolve("127.0.0.1", 80).front() == Endpoint::ip("127.0.0.1", 80));
  run([] {
    const auto all = Endpoint::resolve("localhost", 80, 5.0);
    REQUIRE_FALSE(all.empty());
    for (const auto& e : all) {
      CHECK(e.port() == 80);
      CHECK((e.address() == "127.0.0.1" || e.address() == "::1"));
    }
    CHECK_THROWS_WITH_AS(Endpoint::resolve("no-such-host.invalid", 80, 5.0),
                         doctest::Contains("cannot resolve host 'no-such-host.invalid'"),
                         weft::ResolveError);
  });
}

}  // TEST_SUITE
