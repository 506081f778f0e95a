#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "io/endpoint.hpp"
#include "io/errors.hpp"
#include "io/socket.hpp"
#include "tests/support/weft_test.hpp"

using weft::Endpoint;
using weft_test::run;

using namespace std::string_view_literals;

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

TEST_CASE("Endpoint: parse(to_string()) round-trips every accepted form") {
  const std::string lo = std::to_string(::if_nametoindex("lo"));
  // text, and what to_string() prints for it (empty: the text itself)
  const struct {
    std::string_view text;
    std::string printed;
  } forms[] = {
      {"127.0.0.1:80", ""},
      {"0.0.0.0:0", ""},
      {"255.255.255.255:65535", ""},
      {"10.1.2.3:00080", "10.1.2.3:80"},
      {"[::1]:443", ""},
      {"[::]:0", ""},
      {"[0:0::1]:8080", "[::1]:8080"},
      {"[::ffff:192.0.2.1]:80", ""},
      {"[2001:db8::a:b]:65535", ""},
      {"[fe80::1%1]:80", ""},
      {"[fe80::1%4294967295]:80", ""},
      {"[fe80::1%lo]:80", "[fe80::1%" + lo + "]:80"},
      {"unix:/tmp/x.sock", ""},
      {"unix:relative.sock", ""},
      {"unix:./@at-sign", ""},
      {"unix:/a:b[c]%d", ""},
      {"unix:@abstract", ""},
      {"unix:@with:colon", ""},
      {"unix:@a\0b"sv, ""},  // an abstract name may hold NULs (the kernel takes its length)
      {"unix:@\0"sv, ""},
  };
  for (const auto& f : forms) {
    INFO("form: " << std::string(f.text));
    const Endpoint e = Endpoint::parse(f.text);
    const std::string printed = e.to_string();
    CHECK(printed == (f.printed.empty() ? std::string(f.text) : f.printed));
    CHECK(Endpoint::parse(printed) == e);
    CHECK(Endpoint::parse(printed).to_string() == printed);
    CHECK(Endpoint::from_sockaddr(e.data(), e.size()) == e);
    CHECK(Endpoint::from_sockaddr(e.data(), e.size()).to_string() == printed);
  }
  // Scoped and abstract endpoints are told apart by what makes them differ.
  CHECK_FALSE(Endpoint::parse("[fe80::1%1]:80") == Endpoint::parse("[fe80::1]:80"));
  CHECK(Endpoint::parse("[fe80::1%1]:80").address() == "fe80::1%1");
  CHECK(Endpoint::ip("fe80::1%lo", 80) == Endpoint::parse("[fe80::1%" + lo + "]:80"));
  CHECK_FALSE(Endpoint::parse("unix:@a"sv) == Endpoint::parse("unix:@a\0b"sv));
  CHECK_FALSE(Endpoint::parse("unix:@ab") == Endpoint::parse("unix:@a"));
  CHECK_FALSE(Endpoint::parse("unix:@x") == Endpoint::parse("unix:x"));
  const Endpoint abstract = Endpoint::unix_path("@abstract");
  CHECK(abstract.address() == "@abstract");
  CHECK(abstract.size() == offsetof(sockaddr_un, sun_path) + 1 + 8);  // no NUL after the name
  CHECK(reinterpret_cast<const sockaddr_un*>(abstract.data())->sun_path[0] == '\0');
  CHECK(Endpoint::unix_path("@" + std::string(107, 'n')).address().size() == 108);
  CHECK_THROWS_WITH_AS(Endpoint::unix_path("@" + std::string(108, 'n')),
                       doctest::Contains("the limit is 107"), std::invalid_argument);
}

TEST_CASE("Endpoint: a NUL byte is refused wherever it would cut the address short") {
  // Each of these once parsed as the address before the NUL.
  for (const std::string_view text : {"127.0.0.1\0evil.example.com:80"sv, "127.0.0.1:80\0"sv,
                                      "[::1\0evil]:80"sv, "[::1%lo\0x]:80"sv, "unix:\0"sv,
                                      "unix:/tmp/a\0b"sv, "\0unix:/tmp/a"sv}) {
    INFO("text: " << std::string(text.substr(0, 5)));
    CHECK_THROWS_AS(Endpoint::parse(text), std::invalid_argument);
  }
  CHECK_THROWS_WITH_AS(Endpoint::parse("127.0.0.1\0evil.example.com:80"sv),
                       doctest::Contains("cannot parse endpoint '127.0.0.1\\0evil.example.com:80': "
                                         "it contains a NUL byte"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::parse("unix:/tmp/a\0b"sv),
                       doctest::Contains("contains a NUL byte (an abstract name is written "
                                         "'@name')"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::ip("127.0.0.1\0x"sv, 80), doctest::Contains("contains a NUL byte"),
                       std::invalid_argument);
  CHECK_THROWS_AS(Endpoint::unix_path("/tmp/a\0b"sv), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::resolve("localhost\0.evil.example.com"sv, 80),
                       doctest::Contains("contains a NUL byte"), weft::ResolveError);
  // The other malformed forms around the new spellings.
  CHECK_THROWS_WITH_AS(Endpoint::parse("unix:@"), doctest::Contains("empty abstract Unix name"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::parse("unix:"), doctest::Contains("empty Unix socket path"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::parse("[fe80::1%]:80"), doctest::Contains("empty scope"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::parse("[fe80::1%0]:80"),
                       doctest::Contains("not an interface index"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::parse("[fe80::1%4294967296]:80"),
                       doctest::Contains("not an interface index"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(Endpoint::parse("[fe80::1%no-such-if0]:80"),
                       doctest::Contains("no network interface named 'no-such-if0'"),
                       std::invalid_argument);
  CHECK_THROWS_AS(Endpoint::parse("127.0.0.1%1:80"), std::invalid_argument);
}

TEST_CASE("Endpoint: a server on an abstract Unix name; its endpoints print and parse back") {
  run([] {
    const std::string name = "weft-test-" + std::to_string(::getpid());
    const Endpoint at = Endpoint::parse("unix:@" + name);
    weft::Socket listener = weft::Socket::listen(at);
    CHECK(::access(("@" + name).c_str(), F_OK) != 0);  // abstract: no file was made
    const Endpoint bound = listener.local_endpoint();
    CHECK(bound == at);
    CHECK(Endpoint::parse(bound.to_string()) == at);
    auto server = weft::Tasklet::spawn([&] {
      weft::Socket c = listener.accept(2.0);
      c.write_all("hi", 2.0);
    });
    weft::Socket c = weft::Socket::connect(at, 2.0);
    char buf[2];
    c.read_exactly(buf, 2.0);
    CHECK(std::string(buf, 2) == "hi");
    CHECK(c.peer_endpoint() == at);
    CHECK(c.local_endpoint().to_string() == "unix:");  // the client end is unnamed
    server.join(2.0);
  });
}

}  // TEST_SUITE
