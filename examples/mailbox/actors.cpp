// A small bank built from actors: tasklets that own their state and talk
// only by messages.
//
//  - An account actor owns one balance. Tellers ask it to deposit or
//    withdraw with call(), which waits for the actor's reply().
//  - A supervisor starts the accounts and watches them. When one crashes,
//    it restarts it from the last balance the account wrote to the ledger.
//  - A call to an account that crashes while handling it fails with a
//    CallError; the teller waits a moment and tries again.

#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>

#include "mailbox/mailbox.hpp"
#include "tasklet/dispatch.hpp"

using weft::Message;
using weft::Tasklet;

// What tellers ask an account (each is answered with the new balance).
struct Deposit {
  int amount;
};
struct Withdraw {
  int amount;
};
struct Balance {};
// A bug in the account's code, triggered on purpose.
struct Glitch {};
// What a watcher tells the supervisor when an account actor has died.
struct Down {
  std::string account;
  std::string why;
};

struct Bank {
  std::map<std::string, int> ledger;        // last balance each account wrote
  std::map<std::string, Tasklet> accounts;  // the live actor of each account
};

// An account actor: answers calls until something goes wrong.
void account(Bank& bank, const std::string& name) {
  int balance = bank.ledger[name];
  for (;;) {
    Message m = weft::receive();
    m.visit([&](const Deposit& d) { balance += d.amount; },
            [&](const Withdraw& w) {
              if (w.amount > balance) {
                // Not a crash: the caller gets this error from its call().
                m.reply_error(std::make_exception_ptr(std::runtime_error(
                    name + " has only " + std::to_string(balance))));
                return;
              }
              balance -= w.amount;
            },
            [&](const Balance&) {},
            [&](const Glitch&) { throw std::logic_error("the balance of " + name + " got corrupted"); });
    bank.ledger[name] = balance;  // write it down before answering
    if (m.wants_reply()) m.reply(balance);
  }
}

// Starts every account in the ledger and restarts any that crashes.
void supervisor(Bank& bank) {
  Tasklet self = Tasklet::current();
  auto start = [&](const std::string& name) {
    Tasklet actor = Tasklet::spawn([&bank, name] { account(bank, name); }, {.name = name});
    bank.accounts[name] = actor;
    // A watcher joins the actor and reports its death (Erlang's "monitor").
    Tasklet::spawn(
        [self, actor, name] {
          try {
            Tasklet::join(actor);
          } catch (const weft::JoinError& e) {
            if (!e.killed()) {
              try {
                e.rethrow_cause();
              } catch (const std::exception& cause) {
                weft::send(self, Down{name, cause.what()});
              }
            }
          }
        },
        {.daemon = true});
  };
  for (const auto& [name, balance] : bank.ledger) start(name);
  for (;;) {
    Down down = weft::receive().as<Down>();
    std::printf("supervisor: account %s crashed (%s); restarting it with its last balance, %d\n",
                down.account.c_str(), down.why.c_str(), bank.ledger[down.account]);
    start(down.account);
  }
}

// A teller's call to an account, tried again if the account crashes under it.
int ask(Bank& bank, const std::string& teller, const std::string& name, auto request) {
  for (int attempt = 1;; ++attempt) {
    try {
      return weft::call<int>(bank.accounts[name], request, 1.0);
    } catch (const weft::CallError& e) {
      std::printf("%s: the call to %s failed (%s); trying again\n", teller.c_str(), name.c_str(), e.what());
      Tasklet::sleep(0.01);  // give the supervisor time to restart it
    }
  }
}

void transfer(Bank& bank, const std::string& teller, const std::string& from, const std::string& to,
              int amount) {
  try {
    int left = ask(bank, teller, from, Withdraw{amount});
    int now = ask(bank, teller, to, Deposit{amount});
    std::printf("%s: moved %d from %s to %s (%s has %d left, %s now has %d)\n", teller.c_str(),
                amount, from.c_str(), to.c_str(), from.c_str(), left, to.c_str(), now);
  } catch (const std::runtime_error& e) {
    std::printf("%s: could not move %d from %s: %s\n", teller.c_str(), amount, from.c_str(), e.what());
  }
}

int main() {
  return weft::dispatch([] {
    Bank bank;
    bank.ledger = {{"alice", 100}, {"bob", 50}};
    auto boss = Tasklet::spawn([&] { supervisor(bank); }, {.name = "supervisor"});
    Tasklet::yield_();  // the supervisor starts the accounts

    auto teller1 = Tasklet::spawn([&] { transfer(bank, "teller 1", "alice", "bob", 30); });
    auto teller2 = Tasklet::spawn([&] { transfer(bank, "teller 2", "bob", "alice", 500); });
    teller1.join();
    teller2.join();

    std::printf("main: something goes wrong inside bob's account...\n");
    weft::send(bank.accounts["bob"], Glitch{});
    auto teller3 = Tasklet::spawn([&] { transfer(bank, "teller 3", "alice", "bob", 20); });
    teller3.join();

    std::printf("main: final balances: alice %d, bob %d\n",
                ask(bank, "main", "alice", Balance{}), ask(bank, "main", "bob", Balance{}));
    weft::quit();  // stops the supervisor and the accounts
  });
}
