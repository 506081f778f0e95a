// Failure: check, trap, value, getErrorMessage (conformance §3).

#include "tests/compat_twisted/support.hpp"

using namespace weft::twisted;
using twisted_test::GenericError;

TEST_SUITE("compat_twisted") {

TEST_CASE("Failure: check returns the first matching type, or nullptr") {
  Failure f(GenericError("boom"));
  CHECK(f.check<std::out_of_range>() == nullptr);
  CHECK(f.check<GenericError>() == &typeid(GenericError));
  CHECK(f.check<std::out_of_range, std::runtime_error, GenericError>() == &typeid(std::runtime_error));
  CHECK(f.check<std::exception>() != nullptr);
}

TEST_CASE("Failure: trap returns the match or rethrows the original exception") {
  Failure f(GenericError("boom"));
  CHECK(&f.trap<std::out_of_range, GenericError>() == &typeid(GenericError));
  try {
    f.trap<std::out_of_range>();
    FAIL("trap should have thrown");
  } catch (const GenericError& e) {
    CHECK(std::string(e.what()) == "boom");
  }
}

TEST_CASE("Failure: value, valueAs, getErrorMessage, typeName, raiseException") {
  Failure f(GenericError("boom"));
  CHECK(f.value() != nullptr);
  REQUIRE(f.valueAs<GenericError>() != nullptr);
  CHECK(std::string(f.valueAs<GenericError>()->what()) == "boom");
  CHECK(f.valueAs<std::out_of_range>() == nullptr);
  CHECK(f.getErrorMessage() == "boom");
  CHECK(f.typeName() == "twisted_test::GenericError");
  CHECK_THROWS_AS(f.raiseException(), GenericError);
  CHECK_FALSE(f.isTaskletExit());
  Failure odd(std::make_exception_ptr(42));
  CHECK(odd.getErrorMessage() == "unknown exception");
  CHECK(odd.typeName() == "int");
  Failure exit(std::make_exception_ptr(weft::TaskletExit{}));
  CHECK(exit.isTaskletExit());
  CHECK(exit.getErrorMessage() == "TaskletExit");
}

TEST_CASE("Failure: identity, current(), null") {
  Failure a(GenericError("x"));
  Failure b = a;
  Failure c(a.value());
  CHECK(a == b);
  CHECK_FALSE(a == c);  // same exception, another Failure
  CHECK_THROWS_AS(Failure::current(), NoCurrentExceptionError);
  try {
    throw std::out_of_range("now");
  } catch (...) {
    CHECK(Failure::current().check<std::out_of_range>());
  }
  CHECK_THROWS_AS(Failure(std::exception_ptr()), std::invalid_argument);
}

TEST_CASE("Result: None, values, failures, Deferreds, describe") {
  Result none;
  CHECK(none.isNone());
  CHECK(none.isValue());
  CHECK(none.describe() == "None");
  Result s = "text";
  CHECK(s.is<std::string>());
  CHECK(s.as<std::string>() == "text");
  CHECK_THROWS_AS(s.as<int>(), TypeMismatch);
  CHECK_THROWS_AS(s.failure(), TypeMismatch);
  CHECK_THROWS_AS(s.deferred(), TypeMismatch);
  Result f = Failure(GenericError("g"));
  CHECK(f.isFailure());
  CHECK_THROWS_AS(f.value(), TypeMismatch);
  CHECK(f.describe() == "Failure(twisted_test::GenericError: g)");
  Deferred d;
  Result rd = d;
  CHECK(rd.isDeferred());
  CHECK(rd.deferred() == d);
  Result a = std::any(3);
  CHECK(a.as<int>() == 3);
}

}
