"""The Twisted half of the side-by-side test: the scheduling how-to's examples
and a handful of Deferred chains, run on task.Clock so the output is exact.
scenarios.cpp is the weft half; compare.py runs both and diffs the lines.
Run with /usr/bin/python3 (the Debian python3-twisted)."""

from twisted.internet import defer, task
from twisted.internet.defer import Deferred


def out(*parts):
    print(" ".join(str(p) for p in parts))


def section(name):
    print("== " + name)


# ---- the how-to's examples (twisted/docs/core/howto/time.rst)

def howto_call_later():
    section("callLater")
    clock = task.Clock()

    def f(s):
        out(clock.seconds(), "this will run 3.5 seconds after it was scheduled: %s" % s)

    clock.callLater(3.5, f, "hello, world")
    clock.pump([1, 1, 1, 0.5])


def howto_defer_later():
    section("deferLater")
    clock = task.Clock()

    def f(s):
        return "This will run 3.5 seconds after it was scheduled: %s" % s

    d = task.deferLater(clock, 3.5, f, "hello, world")

    def called(result):
        out(clock.seconds(), result)

    d.addCallback(called)
    clock.advance(3.5)


def howto_looping_call(loopTimes, failInTheEnd):
    section("LoopingCall loopTimes=%d failInTheEnd=%s" % (loopTimes, failInTheEnd))
    clock = task.Clock()
    counter = [0]

    def runEverySecond():
        if counter[0] < loopTimes:
            counter[0] += 1
            out(clock.seconds(), "A new second has passed.")
            return
        if failInTheEnd:
            raise Exception("Failure during loop execution.")
        loop.stop()
        return

    def cbLoopDone(result):
        out(clock.seconds(), "Loop done.", result is loop)

    def ebLoopFailed(failure):
        out(clock.seconds(), "failed:", failure.getErrorMessage())

    loop = task.LoopingCall(runEverySecond)
    loop.clock = clock
    loopDeferred = loop.start(1.0)
    loopDeferred.addCallback(cbLoopDone)
    loopDeferred.addErrback(ebLoopFailed)
    clock.pump([1] * 5)
    out("running", loop.running, "pending", len(clock.getDelayedCalls()))


def howto_cancel():
    section("cancel")
    clock = task.Clock()

    def f():
        out("I'll never run.")

    callID = clock.callLater(5, f)
    callID.cancel()
    clock.advance(10)
    out("active", callID.active(), "pending", len(clock.getDelayedCalls()))


# ---- Deferred chains

def chain_paths():
    section("callback and errback paths")
    d = Deferred()

    def double(x):
        out("double", x)
        return x * 2

    def explode(x):
        out("explode", x)
        raise ValueError("boom %d" % x)

    def skipped(x):
        out("never")

    def recover(f):
        out("recover", f.getErrorMessage())
        return 7

    def show(x, tag):
        out("show", tag, x)
        return x

    d.addCallback(double).addCallback(explode).addCallback(skipped)
    d.addErrback(recover).addCallback(show, "final")
    d.callback(5)
    out("result", d.result)


def chain_nested():
    section("a callback returning a Deferred")
    clock = task.Clock()
    outer = Deferred()

    def later(x):
        out(clock.seconds(), "later", x)
        return task.deferLater(clock, 2, lambda: x + 1)

    def after(x):
        out(clock.seconds(), "after", x)
        return x

    outer.addCallback(later).addCallback(after)
    outer.callback(1)
    out("paused", outer.paused)
    clock.advance(1)
    clock.advance(1)
    out("result", outer.result)


def chain_pause():
    section("pause and unpause")
    d = Deferred()
    d.addCallback(lambda x: out("cb1", x) or x + 1)
    d.pause()
    d.callback(1)
    out("called", d.called, "paused", d.paused)
    d.addCallback(lambda x: out("cb2", x) or x + 1)
    d.unpause()
    out("result", d.result)


def chain_cancel():
    section("cancel without canceller")
    d = Deferred()
    d.addErrback(lambda f: out("errback", f.check(defer.CancelledError) is not None))
    d.cancel()
    d.callback("swallowed")
    try:
        d.callback("again")
    except defer.AlreadyCalledError:
        out("AlreadyCalledError")
    section("cancel with canceller")
    e = Deferred(lambda self: out("canceller runs") or self.callback("from canceller"))
    e.addCallback(lambda r: out("got", r))
    e.cancel()
    e.cancel()


def chain_deferred_list():
    section("DeferredList")
    d1, d2, d3 = Deferred(), Deferred(), Deferred()
    dl = defer.DeferredList([d1, d2, d3], consumeErrors=True)

    def show(results):
        for ok, value in results:
            out(ok, value.getErrorMessage() if not ok else value)

    dl.addCallback(show)
    d3.callback("three")
    d1.callback("one")
    d2.errback(ValueError("two failed"))
    section("DeferredList fireOnOneCallback")
    a, b = Deferred(), Deferred()
    first = defer.DeferredList([a, b], fireOnOneCallback=True)
    first.addCallback(lambda r: out("first", r[0], r[1]))
    b.callback("b wins")
    a.callback("a late")
    out("recorded", first.resultList[0])
    section("gatherResults")
    g1, g2, g3 = Deferred(), Deferred(), Deferred()
    g = defer.gatherResults([g1, g2, g3], consumeErrors=True)
    g.addErrback(lambda f: out("FirstError index", f.value.index, f.value.subFailure.getErrorMessage()))
    g1.callback(1)
    g3.errback(ValueError("third"))
    g2.errback(ValueError("second"))
    ok = defer.gatherResults([defer.succeed(1), defer.succeed(2)])
    ok.addCallback(lambda values: out("values", values))


def chain_inline_callbacks():
    section("inlineCallbacks")
    clock = task.Clock()
    gate = Deferred()

    @defer.inlineCallbacks
    def worker(name):
        out(clock.seconds(), name, "starts")
        x = yield defer.succeed(1)
        out(clock.seconds(), name, "fired wait", x)
        yield task.deferLater(clock, 1)
        out(clock.seconds(), name, "slept")
        try:
            yield gate
        except defer.CancelledError:
            out(clock.seconds(), name, "cancelled, goes on")
        y = yield task.deferLater(clock, 2, lambda: 40)
        return y + 2

    d = worker("w")
    out("worker returned, called", d.called)
    d.addCallback(lambda r: out(clock.seconds(), "result", r))
    clock.advance(1)
    d.cancel()
    out("cancel returned")
    clock.advance(2)


def clock_ordering():
    section("Clock ordering")
    clock = task.Clock()
    clock.callLater(2, out, "a")
    b = clock.callLater(1, out, "b")
    b.reset(2)
    clock.callLater(2, out, "c")
    clock.callLater(0, lambda: clock.callLater(0, out, "nested zero"))
    clock.advance(2)
    section("LoopingCall skipping")
    times = []
    lc = task.LoopingCall(lambda: times.append(clock.seconds()))
    lc.clock = clock
    lc.start(1.0)
    clock.advance(3.5)
    clock.advance(0.5)
    clock.advance(0.25)
    clock.advance(1)
    lc.stop()
    out("times", times)
    section("withCount")
    counts = []
    wc = task.LoopingCall.withCount(lambda n: counts.append((clock.seconds(), n)))
    wc.clock = clock
    wc.start(0.5, now=False)
    clock.pump([0.5, 1.75, 0.25, 0.5, 3])
    wc.stop()
    out("counts", counts)


def cooperator():
    section("Cooperator")
    clock = task.Clock()
    units = [0]

    def predicate():
        start = units[0]
        return lambda: units[0] - start >= 2

    coop = task.Cooperator(terminationPredicateFactory=predicate,
                           scheduler=lambda f: clock.callLater(1, f))
    tasks = {}

    def it(name, n):
        for i in range(n):
            units[0] += 1
            out(clock.seconds(), name, i)
            if name == "b" and i == 1:
                tasks["a"].stop()
            yield None

    for name, n in (("a", 5), ("b", 3), ("c", 3)):
        tasks[name] = coop.cooperate(it(name, n))
        tasks[name].whenDone().addBoth(lambda r, name=name: out(clock.seconds(), name, "done",
                                                                 "ok" if r is not None and not hasattr(r, "getErrorMessage") else r.type.__name__))
    for _ in range(6):
        clock.advance(1)


def locks_and_queue():
    section("DeferredLock")
    lock = defer.DeferredLock()
    order = []
    clock = task.Clock()

    def job(name):
        order.append(name + " in")
        return task.deferLater(clock, 1, lambda: order.append(name + " out"))

    for name in ("x", "y", "z"):
        lock.run(job, name)
    clock.pump([1, 1, 1])
    out(order)
    section("DeferredSemaphore")
    sem = defer.DeferredSemaphore(2)
    order = []
    for name in ("p", "q", "r", "s"):
        sem.run(job, name)
    clock.pump([1, 1])
    out(order)
    section("DeferredQueue")
    q = defer.DeferredQueue(size=2, backlog=1)
    q.get().addCallback(lambda v: out("got", v))
    try:
        q.get()
    except defer.QueueUnderflow:
        out("QueueUnderflow")
    q.put(1)
    q.put(2)
    q.put(3)
    try:
        q.put(4)
    except defer.QueueOverflow:
        out("QueueOverflow")
    q.get().addCallback(lambda v: out("got", v))


def timeouts():
    section("addTimeout")
    clock = task.Clock()
    d = Deferred()
    d.addErrback(lambda f: out("early errback sees", "CancelledError" if f.check(defer.CancelledError) else "?") or f)
    d.addTimeout(5, clock)
    d.addErrback(lambda f: out(clock.seconds(), "late errback sees", "TimeoutError" if f.check(defer.TimeoutError) else "?"))
    clock.advance(4)
    out("called", d.called)
    clock.advance(1)
    e = Deferred()
    e.addTimeout(5, clock)
    e.callback("in time")
    out("pending after fire", len(clock.getDelayedCalls()))


def chain_more():
    section("chainDeferred")
    a, b = Deferred(), Deferred()
    b.addCallback(lambda r: out("b got", r))
    a.chainDeferred(b)
    a.callback("value")
    out("a result", a.result)
    c, e = Deferred(), Deferred()
    e.callback("early")
    c.chainDeferred(e)
    c.callback("late")
    out("c fails with AlreadyCalledError", c.result.check(defer.AlreadyCalledError) is not None)
    c.addErrback(lambda f: None)
    section("cancel reaches a chained Deferred")
    inner = Deferred(lambda d: out("inner canceller"))
    outer = Deferred()
    outer.addCallback(lambda _: inner)
    outer.addErrback(lambda f: out("outer errback", f.check(defer.CancelledError) is not None))
    outer.callback(None)
    out("outer paused", outer.paused)
    outer.cancel()
    out("inner called", inner.called, "outer paused", outer.paused)
    section("maybeDeferred")

    def raiser():
        raise ValueError("bad")

    defer.maybeDeferred(lambda: 3).addCallback(lambda r: out("maybe value", r))
    defer.maybeDeferred(raiser).addErrback(lambda f: out("maybe raise", f.getErrorMessage()))
    pending = Deferred()
    out("maybe same Deferred", defer.maybeDeferred(lambda: pending) is pending)
    section("deferLater cancel")
    clock = task.Clock()
    later = task.deferLater(clock, 2, lambda: out("never"))
    later.addErrback(lambda f: out("deferLater cancelled", f.check(defer.CancelledError) is not None))
    out("pending", len(clock.getDelayedCalls()))
    later.cancel()
    out("pending", len(clock.getDelayedCalls()))
    clock.advance(3)
    section("CooperativeTask pause and resume")
    clock = task.Clock()
    coop = task.Cooperator(terminationPredicateFactory=lambda: (lambda: True),
                           scheduler=lambda f: clock.callLater(1, f))

    def steps(name, n):
        for i in range(n):
            out(clock.seconds(), name, i)
            yield None

    t1 = coop.cooperate(steps("p", 4))
    coop.cooperate(steps("q", 3)).whenDone().addCallback(lambda _: out(clock.seconds(), "q done"))
    clock.advance(1)
    t1.pause()
    t1.pause()
    clock.advance(1)
    t1.resume()
    clock.advance(1)
    t1.resume()
    for _ in range(5):
        clock.advance(1)


for scenario in (howto_call_later, howto_defer_later,
                 lambda: howto_looping_call(3, False), lambda: howto_looping_call(3, True),
                 howto_cancel, chain_paths, chain_nested, chain_pause, chain_cancel,
                 chain_deferred_list, chain_inline_callbacks, clock_ordering, cooperator,
                 locks_and_queue, timeouts, chain_more):
    scenario()
