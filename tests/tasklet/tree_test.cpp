#include "sched/wait_list.hpp"
#include "tasklet/tasklet.hpp"
#include "tests/support/weft_test.hpp"

using weft::Tasklet;
using weft_test::run;

namespace {

struct Worker {
  int operator()() const { return 11; }
};

}  // namespace

TEST_SUITE("tasklet") {

TEST_CASE("a tasklet with 4 children sees them all and join_children gives their results") {
  run([] {
    for (int i = 0; i < 4; ++i) Tasklet::spawn([] { return 1; });
    CHECK(Tasklet::current().children().size() == 4);
    auto rs = Tasklet::join_children<int>();
    REQUIRE(rs.size() == 4);
    for (auto& r : rs) CHECK(r.value() == 1);
    CHECK(Tasklet::current().children().empty());  // finished children leave the tree
  });
}

TEST_CASE("join_children: untyped results, a type mismatch is a clear error, and the timeout applies") {
  run([] {
    Tasklet::spawn([] { return 2.5; });
    auto rs = Tasklet::join_children();
    CHECK(std::any_cast<double>(rs.at(0).value()) == 2.5);

    Tasklet::spawn([] { return 2.5; });
    CHECK_THROWS_WITH_AS(Tasklet::join_children<int>(), doctest::Contains("returns double"),
                         std::logic_error);

    auto slow = Tasklet::spawn([] { Tasklet::sleep(5.0); });
    CHECK_THROWS_AS(Tasklet::join_children(0.05), weft::TimeoutError);
    slow.kill();
  });
}

TEST_CASE("parent, children and tree describe the spawn tree") {
  run([] {
    Tasklet root = Tasklet::current();
    CHECK_FALSE(root.parent());
    weft::WaitList hold;
    auto a = Tasklet::spawn([&] {
      Tasklet::spawn([&] { hold.wait(weft::Deadline::never()); }, {.name = "a1"});
      hold.wait(weft::Deadline::never());
    }, {.name = "a"});
    auto b = Tasklet::spawn([&] { hold.wait(weft::Deadline::never()); }, {.name = "b"});
    auto d = Tasklet::spawn([&] { hold.wait(weft::Deadline::never()); }, {.name = "d", .daemon = true});
    while (hold.size() < 4) Tasklet::yield_();
    CHECK(a.parent() == root);
    CHECK_FALSE(d.parent());
    CHECK(d.daemon());
    REQUIRE(root.children().size() == 2);
    CHECK(root.children()[0] == a);
    CHECK(root.children()[1] == b);

    auto tree = root.tree();
    REQUIRE(tree.size() == 4);
    CHECK(tree[0].first == root);
    CHECK(tree[0].second == 0);
    CHECK(tree[1].first.name() == "a");
    CHECK(tree[1].second == 1);
    CHECK(tree[2].first.name() == "a1");
    CHECK(tree[2].second == 2);
    CHECK(tree[3].first.name() == "b");
    CHECK(a.tree(5)[0].second == 5);
    hold.notify_all();
  });
}

TEST_CASE("when a parent finishes first its live children move to the grandparent") {
  run([] {
    weft::WaitList hold;
    Tasklet grandchild;
    auto parent = Tasklet::spawn([&] {
      grandchild = Tasklet::spawn([&] { hold.wait(weft::Deadline::never()); }, {.name = "orphan"});
    });
    parent.join();
    while (hold.size() < 1) Tasklet::yield_();
    REQUIRE(grandchild);
    CHECK_FALSE(grandchild.has_finished());  // not killed
    CHECK(grandchild.parent() == Tasklet::current());
    CHECK(Tasklet::current().children().size() == 1);
    CHECK_FALSE(parent.parent());  // a finished tasklet leaves the tree
    hold.notify_all();
  });
}

TEST_CASE("names: given, derived from a named callable type, or tasklet-<id>") {
  run([] {
    auto named = Tasklet::spawn([] {}, {.name = "given"});
    auto functor = Tasklet::spawn(Worker{});
    auto lambda = Tasklet::spawn([] {});
    CHECK(named.name() == "given");
    CHECK(functor.name() == "Worker");
    CHECK(lambda.name() == "tasklet-" + std::to_string(lambda.id()));
    CHECK(named.id() != lambda.id());
    CHECK(Tasklet::current().name() == "main");
    CHECK(functor.join() == 11);
  });
}

}
