# weft's gdb helper: list a loop's tasklets and show a parked tasklet's stack.
#
#   (gdb) source /usr/local/share/weft/weft_gdb.py      (installed with the library)
#   (gdb) info tasklets           every live tasklet of the selected thread's loop
#   (gdb) tasklet bt 7            the call stack of tasklet #7, from its saved registers
#
# It reads weft's own structures (weft::detail::tls_loop, the loop's list of
# live fibers, each TaskletRecord), so the program needs weft's types in its
# debug info (-g); see docs/observe.md. x86-64 only (the saved register layout
# is Boost.Context's there). Works on a live process; on a core file
# `info tasklets` works, `tasklet bt` cannot change registers.

import gdb

STATES = ["created", "runnable", "running", "parked", "finished"]
RED_ZONE = 0  # what weft's switch leaves below its frame (context.hpp: kSwitchRedZone)
# weft::WaitKind's enumerators in order (sched/park.hpp): a release build's
# debug information may carry the type without them.
WAIT_KINDS = ["other", "sleep", "join", "receive", "call", "send", "lock", "semaphore",
              "condition", "event", "channel", "queue", "fd_read", "fd_write", "fd_io", "signal",
              "to_thread", "deferred", "server"]
NUMBER_TARGETS = ("fd_read", "fd_write", "fd_io", "signal")
TASKLET_TARGETS = ("join", "call", "send")


def _loop():
    try:
        loop = gdb.parse_and_eval("weft::detail::tls_loop")
    except gdb.error as e:
        raise gdb.GdbError("weft: cannot read weft::detail::tls_loop (%s); the program needs "
                           "weft's debug info (-g)" % e)
    if int(loop) == 0:
        raise gdb.GdbError("weft: no loop runs on this thread (select the thread that runs "
                           "dispatch(), e.g. `thread 1`)")
    return loop


def _fibers(loop):
    f = loop["live_"]["head_"]
    while int(f) != 0:
        yield f
        f = f["live_next"]


def _record(fiber):
    return fiber.cast(gdb.lookup_type("weft::detail::TaskletRecord").pointer())


def _name(rec):
    s = rec["name"]
    n = int(s["_M_string_length"])
    if n == 0:
        return "tasklet-%d" % int(rec["id"])
    return s["_M_dataplus"]["_M_p"].string(length=n)


def _label(rec):
    return "#%d '%s'" % (int(rec["id"]), _name(rec))


def _kind(fiber):
    k = int(fiber["wait_kind"])
    return WAIT_KINDS[k] if k < len(WAIT_KINDS) else "kind-%d" % k


def _wait(fiber):
    kind = _kind(fiber)
    on = fiber["wait_on"]
    text = kind.replace("_", " ") if kind != "other" else "park"
    if kind in NUMBER_TARGETS:
        text += " %d" % int(on.cast(gdb.lookup_type("long")))
    elif kind in TASKLET_TARGETS and int(on) != 0:
        text += " " + _label(on.cast(gdb.lookup_type("weft::detail::TaskletRecord").pointer()))
    elif int(on) != 0:
        text += " 0x%x" % int(on)
    return text


def _line(fiber):
    rec = _record(fiber)
    state = STATES[int(fiber["state"])]
    text = "%s %s" % (_label(rec), state)
    if state == "parked":
        text += ": " + _wait(fiber)
        if bool(fiber["resting"]):
            text += " (resting, no stack)"
    if bool(fiber["daemon"]):
        text += " (daemon)"
    return text


class InfoTasklets(gdb.Command):
    """List the live tasklets of the selected thread's weft loop: id, name, state, wait."""

    def __init__(self):
        super().__init__("info tasklets", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        loop = _loop()
        n = 0
        for f in _fibers(loop):
            if bool(f["is_tasklet"]):
                gdb.write(_line(f) + "\n")
                n += 1
        gdb.write("%d tasklet(s)\n" % n)


class Tasklet(gdb.Command):
    """weft tasklet commands: `tasklet bt ID` shows a parked tasklet's call stack."""

    def __init__(self):
        super().__init__("tasklet", gdb.COMMAND_STACK, prefix=True)


class TaskletBt(gdb.Command):
    """tasklet bt ID: the call stack of tasklet ID, unwound from the registers its last
switch saved (the thread's registers are put back afterwards)."""

    REGS = ["r12", "r13", "r14", "r15", "rbx", "rbp"]

    def __init__(self):
        super().__init__("tasklet bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        try:
            wanted = int(arg.strip().lstrip("#"))
        except ValueError:
            raise gdb.GdbError("usage: tasklet bt ID (an id from `info tasklets`)")
        loop = _loop()
        for f in _fibers(loop):
            if bool(f["is_tasklet"]) and int(_record(f)["id"]) == wanted:
                break
        else:
            raise gdb.GdbError("weft: no live tasklet #%d on this thread's loop" % wanted)
        gdb.write(_line(f) + "\n")
        state = STATES[int(f["state"])]
        if state == "running":
            gdb.execute("bt")  # it is the thread's own stack
            return
        if state == "created" or int(f["stack"]["base"]) == 0:
            gdb.write("  (no stack: it has not started, or rests between calls)\n")
            return
        sp = int(f["ctx"]["fctx"])
        words = gdb.lookup_type("unsigned long").pointer()
        saved = gdb.Value(sp).cast(words)
        gdb.execute("select-frame 0")
        frame0 = gdb.selected_frame()
        old = {r: int(frame0.read_register(r)) for r in self.REGS + ["rsp", "rip"]}
        try:
            for i, r in enumerate(self.REGS):
                gdb.execute("set $%s = %d" % (r, int(saved[i + 1])), to_string=True)
            gdb.execute("set $rsp = %d" % (sp + 0x40 + RED_ZONE), to_string=True)
            gdb.execute("set $rip = %d" % int(saved[7]), to_string=True)
            gdb.execute("bt")
        finally:
            gdb.execute("select-frame 0")
            for r, v in old.items():
                gdb.execute("set $%s = %d" % (r, v), to_string=True)


InfoTasklets()
Tasklet()
TaskletBt()
