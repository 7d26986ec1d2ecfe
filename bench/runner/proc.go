package main

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Every server runs as the leader of its own session (setsid). The session,
// not the process group, is what the runner measures and kills: Ahoy puts
// each Node worker in a process group of its own (so it can kill a worker's
// whole tree), but the workers stay in Ahoy's session, as do twilio-run's
// forked Function processes.

// clockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat. It
// is 100 on every Linux architecture Go supports (sysconf(_SC_CLK_TCK)
// needs cgo).
const clockTicks = 100

// procInfo is what the runner reads from one /proc/<pid>/stat.
type procInfo struct {
	pid, ppid, sid int
	zombie         bool
	ticks          int64 // utime+stime+cutime+cstime: the process's CPU plus its reaped children's
	rss            int64 // resident bytes
}

// readProc parses /proc/<pid>/stat. The command name (field 2) may contain
// spaces and parentheses, so fields are counted from the last ')'.
func readProc(pid int) (procInfo, bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, false
	}
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return procInfo{}, false
	}
	f := bytes.Fields(data[i+1:])
	// f[0] is field 3 (state); field n is f[n-3].
	if len(f) < 22 {
		return procInfo{}, false
	}
	num := func(n int) int64 {
		v, _ := strconv.ParseInt(string(f[n-3]), 10, 64)
		return v
	}
	return procInfo{
		pid:    pid,
		ppid:   int(num(4)),
		sid:    int(num(6)),
		zombie: f[0][0] == 'Z' || f[0][0] == 'X',
		ticks:  num(14) + num(15) + num(16) + num(17),
		rss:    num(24) * int64(os.Getpagesize()),
	}, true
}

// sessionProcs returns every process (zombies included) in session sid.
func sessionProcs(sid int) []procInfo {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	var out []procInfo
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok && p.sid == sid {
			out = append(out, p)
		}
	}
	return out
}

// usage is a session's resource use at one moment.
type usage struct {
	ticks int64 // CPU, clock ticks, over all processes (and reaped children)
	rss   int64 // resident bytes, summed over live processes
	procs int   // live processes
}

func sessionUsage(sid int) usage {
	var u usage
	for _, p := range sessionProcs(sid) {
		u.ticks += p.ticks
		if !p.zombie {
			u.rss += p.rss
			u.procs++
		}
	}
	return u
}

// cpuSeconds converts clock ticks to seconds.
func cpuSeconds(ticks int64) float64 { return float64(ticks) / clockTicks }

// becomeSubreaper makes orphaned descendants (a worker whose server was
// killed first) the runner's children instead of init's, so the runner can
// reap them and leave no zombies behind in a container whose init does not.
func becomeSubreaper() {
	const prSetChildSubreaper = 36
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0)
}

// killSession ends every process in session sid: SIGTERM first (Ahoy and
// Node exit promptly on it), SIGKILL for whatever is left after grace, and
// reaps the orphans that became the runner's children. It returns once no
// live process is left in the session or after about five seconds.
func killSession(sid int, grace time.Duration) {
	signalAll := func(sig syscall.Signal) {
		for _, p := range sessionProcs(sid) {
			if !p.zombie {
				_ = syscall.Kill(p.pid, sig)
			}
		}
	}
	signalAll(syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	killed := false
	for start := time.Now(); time.Since(start) < grace+5*time.Second; time.Sleep(10 * time.Millisecond) {
		reapOrphans(sid)
		if sessionUsage(sid).procs == 0 {
			return
		}
		if !killed && time.Now().After(deadline) {
			signalAll(syscall.SIGKILL)
			killed = true
		}
	}
}

// reapOrphans waits for the zombies in session sid that are the runner's
// own children by adoption. The server's leader is left to its exec.Cmd.
func reapOrphans(sid int) {
	self := os.Getpid()
	for _, p := range sessionProcs(sid) {
		if p.zombie && p.ppid == self && p.pid != sid {
			var ws syscall.WaitStatus
			_, _ = syscall.Wait4(p.pid, &ws, syscall.WNOHANG, nil)
		}
	}
}

// selfCPU returns the runner's own CPU time (the load generator's cost).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
