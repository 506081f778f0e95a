// Message: matching by type (is, as, get_if, visit), its handle semantics and
// its errors.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include "mailbox/mailbox.hpp"
#include "tests/support/weft_test.hpp"

using weft::Message;
using weft_test::Counted;
using weft_test::run;

namespace {

struct Deposit {
  int amount;
};
struct Withdraw {
  int amount;
};
struct Quit {};

int handle_quit(const Quit&) { return 0; }

}  // namespace

TEST_SUITE("mailbox") {

TEST_CASE("is / as / get_if match by exact type") {
  run([] {
    Message m = Message::of(Deposit{5});
    CHECK(m);
    CHECK(m.is<Deposit>());
    CHECK_FALSE(m.is<Withdraw>());
    CHECK_FALSE(m.is<int>());
    CHECK(m.as<Deposit>().amount == 5);
    m.as<Deposit>().amount = 6;
    const Message& cm = m;
    CHECK(cm.as<Deposit>().amount == 6);
    CHECK(cm.get_if<Deposit>()->amount == 6);
    CHECK(m.get_if<Withdraw>() == nullptr);
    CHECK(cm.get_if<Withdraw>() == nullptr);
    CHECK(m.type() == typeid(Deposit));
    CHECK(m.type_name().find("Deposit") != std::string::npos);
    // Qualifiers do not matter (as with typeid); no payload is void or an array.
    CHECK(m.is<const Deposit>());
    CHECK(m.is<Deposit&>());
    CHECK_FALSE(m.is<void>());
    CHECK_FALSE(m.is<Deposit[2]>());
  });
}

TEST_CASE("as<T>() on another type or on an empty message says what it is") {
  run([] {
    Message m = Message::of(std::string("hello"));
    try {
      m.as<int>();
      FAIL("expected std::logic_error");
    } catch (const std::logic_error& e) {
      std::string what = e.what();
      CHECK(what.find("string") != std::string::npos);
      CHECK(what.find("not a int") != std::string::npos);
    }
    const Message empty;
    CHECK_FALSE(empty);
    CHECK(empty.type() == typeid(void));
    CHECK_FALSE(empty.is<int>());
    CHECK_THROWS_AS(empty.as<int>(), std::logic_error);
    CHECK_FALSE(empty.is_call());
    CHECK_FALSE(empty.wants_reply());
  });
}

TEST_CASE("visit calls the first handler whose parameter matches") {
  run([] {
    int balance = 10;
    std::string seen;
    auto account = [&](Message m) {
      return m.visit([&](const Deposit& d) { balance += d.amount; },
                     [&](Withdraw& w) { balance -= w.amount; },
                     [&](Message& other) { seen = other.type_name(); });
    };
    CHECK(account(Message::of(Deposit{5})));
    CHECK(balance == 15);
    CHECK(account(Message::of(Withdraw{3})));
    CHECK(balance == 12);
    CHECK(account(Message::of(42)));  // the fallback
    CHECK(seen == "int");

    Message q = Message::of(Quit{});
    CHECK_FALSE(q.visit([](const Deposit&) {}, [](Withdraw) {}));
    CHECK(q.visit(&handle_quit));
    CHECK(q.visit(handle_quit));  // a function by name, as well as by pointer
  });
}

TEST_CASE("visit with a by-value or rvalue handler moves the payload out") {
  run([] {
    Message m = Message::of(std::make_unique<int>(7));
    std::unique_ptr<int> taken;
    CHECK(m.visit([&](std::unique_ptr<int>&& p) { taken = std::move(p); }));
    REQUIRE(taken);
    CHECK(*taken == 7);
    CHECK(m.as<std::unique_ptr<int>>() == nullptr);

    Message s = Message::of(std::string("abc"));
    std::string got;
    CHECK(s.visit([&](std::string v) mutable { got = std::move(v); }));
    CHECK(got == "abc");
  });
}

TEST_CASE("a Message is a move-only handle: moving never copies the payload") {
  run([] {
    {
      Message a = Message::of(Counted(1));
      CHECK(Counted::live == 1);
      Message b = std::move(a);
      CHECK_FALSE(a);
      CHECK(b.as<Counted>().value == 1);
      Message c;
      c = std::move(b);
      CHECK(Counted::live == 1);
      c = Message::of(Counted(2));  // the old payload goes
      CHECK(Counted::live == 1);
      CHECK(c.as<Counted>().value == 2);
      c = std::move(c);
      CHECK(c);
    }
    CHECK(Counted::live == 0);
  });
}

TEST_CASE("large and over-aligned payloads work like small ones") {
  struct alignas(64) Wide {
    char bytes[64];
  };
  struct Big {
    char bytes[1000];
  };
  run([] {
    Message w = Message::of(Wide{{1}});
    CHECK(reinterpret_cast<std::uintptr_t>(&w.as<Wide>()) % 64 == 0);
    CHECK(w.as<Wide>().bytes[0] == 1);
    Big b{};
    b.bytes[999] = 9;
    weft::send(weft::Tasklet::current(), b);
    weft::send(weft::Tasklet::current(), Wide{{2}});
    CHECK(weft::receive().as<Big>().bytes[999] == 9);
    CHECK(weft::receive().as<Wide>().bytes[0] == 2);
  });
}

TEST_CASE("a plain message is not a call: reply() on it is an error") {
  run([] {
    Message m = Message::of(1);
    CHECK_FALSE(m.is_call());
    CHECK_FALSE(m.wants_reply());
    CHECK_THROWS_AS(m.reply(2), std::logic_error);
    CHECK_THROWS_AS(m.reply(), std::logic_error);
    CHECK_THROWS_AS(m.reply_error(std::make_exception_ptr(std::runtime_error("x"))),
                    std::logic_error);
    Message empty;
    CHECK_THROWS_AS(empty.reply(1), std::logic_error);
  });
}

}  // TEST_SUITE
