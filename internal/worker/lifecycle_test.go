package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestLoadErrorsR36(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/nohandler.js": `exports.other = () => {};`,
		"functions/syntax.js":    `exports.handler = (c, e, cb) => { cb(null, "ok") `,
		"functions/throws.js":    `throw new Error("at load");`,
	})
	pool := startPool(t, p, nil)

	r := invoke(t, pool, p.inv("nohandler"))
	if r.Kind != Failure || r.Error == nil || r.Error.Message != `Could not find a "handler" function in file functions/nohandler.js` {
		t.Errorf("R36 missing handler: got %+v %+v", r, r.Error)
	}
	if strings.Contains(r.Error.Message, p.dir) {
		t.Errorf("R36 message leaks the absolute path: %q", r.Error.Message)
	}

	r = invoke(t, pool, p.inv("syntax"))
	if r.Kind != Failure || r.Error == nil || r.Error.Name != "SyntaxError" {
		t.Errorf("syntax error: got %+v %+v", r, r.Error)
	}
	// A failed load is not cached: fixing the file fixes the next request.
	p.write("functions/syntax.js", fn(`callback(null, "fixed")`))
	if r := invoke(t, pool, p.inv("syntax")); r.Kind != Payload || string(r.Body) != "fixed" {
		t.Errorf("after fixing the syntax error: got %+v %s", r, r.Body)
	}

	r = invoke(t, pool, p.inv("throws"))
	if r.Kind != Failure || r.Error == nil || r.Error.Message != "at load" {
		t.Errorf("throw at load: got %+v %+v", r, r.Error)
	}
}

func TestModuleStateSurvivesR35(t *testing.T) {
	p := newProject(t, map[string]string{"functions/count.js": `let n = 0; exports.handler = (c, e, cb) => cb(null, ++n);`})
	pool := startPool(t, p, nil)
	for want := 1; want <= 3; want++ {
		if r := invoke(t, pool, p.inv("count")); string(r.Body) != fmt.Sprint(want) {
			t.Fatalf("R35 call %d: got %s", want, r.Body)
		}
	}
}

func TestCallbackTwiceR45(t *testing.T) {
	p := newProject(t, map[string]string{"functions/twice.js": fn(`callback(null, "first"); callback(null, "second"); setTimeout(() => callback(new Error("third")), 5)`)})
	rec := &recorder{}
	pool := startPool(t, p, rec)
	r := invoke(t, pool, p.inv("twice"))
	if r.Kind != Payload || string(r.Body) != "first" {
		t.Fatalf("R45 first call must win: got %+v %s", r, r.Body)
	}
	waitUntil(t, 5*time.Second, "two warnings", func() bool {
		n := 0
		for _, rec := range rec.all() {
			if rec.Msg == "callback was called more than once; later calls are ignored" && rec.Level == slog.LevelWarn && rec.Attrs["invocation"] == "RQ-twice" {
				n++
			}
		}
		return n == 2
	})
}

func TestConsoleCaptureR70(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/logs.js": `console.log("at load");
exports.handler = async (context, event, callback) => {
  console.log("log %s %d", event.who, 1);
  await new Promise((r) => setTimeout(r, Number(event.wait)));
  console.info("info", event.who);
  console.warn("warn", event.who);
  console.error("error", {who: event.who});
  console.debug("debug", event.who);
  callback(null, "ok");
};`,
	})
	rec := &recorder{}
	pool := startPool(t, p, rec, func(o *Options) { o.Count = 1 })
	var wg sync.WaitGroup
	for i, who := range []string{"alice", "bob"} {
		wg.Go(func() {
			inv := p.inv("logs")
			inv.ID = "RQ-" + who
			inv.Query = mustJSON(t, map[string]string{"who": who, "wait": fmt.Sprint(30 - 20*i)})
			if r := invoke(t, pool, inv); string(r.Body) != "ok" {
				t.Errorf("got %s", r.Body)
			}
		})
	}
	wg.Wait()
	for _, who := range []string{"alice", "bob"} {
		for _, want := range []struct {
			msg   string
			level slog.Level
		}{
			{"log " + who + " 1", slog.LevelInfo},
			{"info " + who, slog.LevelInfo},
			{"warn " + who, slog.LevelWarn},
			{"error { who: '" + who + "' }", slog.LevelError},
			{"debug " + who, slog.LevelDebug},
		} {
			got := rec.waitFor(t, want.msg)
			if got.Msg != want.msg || got.Level != want.level || got.Attrs["invocation"] != "RQ-"+who || got.Attrs["function"] != "/logs" {
				t.Errorf("R70 %q: got %+v, want level %v invocation RQ-%s function /logs", want.msg, got, want.level, who)
			}
		}
	}
	if got := rec.waitFor(t, "at load"); got.Attrs["invocation"] != "RQ-alice" && got.Attrs["invocation"] != "RQ-bob" {
		t.Errorf("console at module load runs inside the first invocation: %+v", got)
	}
	for _, r := range rec.all() {
		if r.Attrs["stream"] != "" && strings.Contains(r.Msg, "alice") {
			t.Errorf("console output leaked to %s: %q", r.Attrs["stream"], r.Msg)
		}
	}
}

func TestStdoutDoesNotCorruptChannel(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/print.js":   fn(`process.stdout.write("\x00\x00\x00\x10garbage{\n"); process.stderr.write("to stderr\n"); callback(null, "clean")`),
		"functions/outside.js": fn(`setTimeout(() => console.log("outside any invocation"), 0); callback(null, "ok")`),
	})
	rec := &recorder{}
	pool := startPool(t, p, rec)
	for range 3 {
		if r := invoke(t, pool, p.inv("print")); string(r.Body) != "clean" {
			t.Fatalf("got %+v %s", r, r.Body)
		}
	}
	out := rec.waitFor(t, "garbage{")
	if out.Level != slog.LevelInfo || out.Attrs["stream"] != "stdout" || out.Attrs["worker"] == "" {
		t.Errorf("stdout line: %+v", out)
	}
	errLine := rec.waitFor(t, "to stderr")
	if errLine.Level != slog.LevelWarn || errLine.Attrs["stream"] != "stderr" {
		t.Errorf("stderr line: %+v", errLine)
	}
}

func TestProcessExitR46(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/exit.js":      fn(`process.stderr.write("bye now\n"); process.exit(3)`),
		"functions/lastwords.js": fn(`console.log("last words"); process.exit(4)`),
		"functions/hello.js":     fn(`callback(null, "hi")`),
	})
	rec := &recorder{}
	pool := startPool(t, p, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := pool.Invoke(ctx, p.inv("exit")); !errors.Is(err, ErrWorkerExited) {
		t.Fatalf("got %v, want ErrWorkerExited", err)
	}
	// The next request waits for the replacement.
	if r := invoke(t, pool, p.inv("hello")); string(r.Body) != "hi" {
		t.Fatalf("after exit: %s", r.Body)
	}
	got := rec.waitFor(t, "exited (exit status 3)")
	if got.Level != slog.LevelError || !strings.Contains(got.Attrs["stderr"], "bye now") {
		t.Errorf("exit log: %+v", got)
	}
	// Frames are corked until the end of the tick: process.exit() in the
	// same tick must still let the line logged just before it out.
	if _, err := pool.Invoke(ctx, p.inv("lastwords")); !errors.Is(err, ErrWorkerExited) {
		t.Fatalf("got %v, want ErrWorkerExited", err)
	}
	if line := rec.waitFor(t, "last words"); line.Attrs["function"] != "/lastwords" {
		t.Errorf("last words: %+v", line)
	}
}

func TestWorkerKilledMidRequest(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/pid.js":  fn(`callback(null, process.pid)`),
		"functions/hang.js": fn(`setTimeout(() => callback(null, "late"), 60000)`),
	})
	pool := startPool(t, p, nil)
	pid := string(invoke(t, pool, p.inv("pid")).Body)

	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := pool.Invoke(ctx, p.inv("hang"))
		errc <- err
	}()
	waitUntil(t, 5*time.Second, "invocation in flight", func() bool { return pool.InFlight() == 1 })
	var n int
	fmt.Sscan(pid, &n)
	if err := syscall.Kill(n, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, ErrWorkerExited) {
		t.Fatalf("got %v, want ErrWorkerExited", err)
	}
	if got := string(invoke(t, pool, p.inv("pid")).Body); got == pid {
		t.Errorf("replacement has the same pid %s", got)
	}
}

func TestUnresponsiveWorkerIsReplaced(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/spin.js":  fn(`while (true) {}`),
		"functions/hello.js": fn(`callback(null, process.pid)`),
	})
	rec := &recorder{}
	pool := startPool(t, p, rec, func(o *Options) {
		o.Count = 2
		o.Heartbeat = 50 * time.Millisecond
		o.Unresponsive = 400 * time.Millisecond
	})
	errc := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := pool.Invoke(ctx, p.inv("spin"))
		errc <- err
	}()
	waitUntil(t, 5*time.Second, "spin in flight", func() bool { return pool.InFlight() == 1 })
	// The other worker keeps serving while one spins.
	for range 5 {
		invoke(t, pool, p.inv("hello"))
	}
	if err := <-errc; !errors.Is(err, ErrWorkerExited) {
		t.Fatalf("got %v, want ErrWorkerExited", err)
	}
	got := rec.waitFor(t, "stopped responding for 400ms (a Function is blocking the event loop); restarting it")
	if got.Level != slog.LevelError {
		t.Errorf("level %v", got.Level)
	}
	// Both slots serve again.
	pids := map[string]bool{}
	waitUntil(t, 10*time.Second, "two live workers", func() bool {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for range 4 {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				inv := p.inv("hello")
				inv.JSONBody = []byte(`{}`)
				if r, err := pool.Invoke(ctx, inv); err == nil {
					mu.Lock()
					pids[string(r.Body)] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return len(pids) >= 2
	})
}

func TestMemoryLimit(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/hog.js":   fn(`const a = []; for (;;) a.push(new Array(100000).fill({x: Math.random()}))`),
		"functions/hello.js": fn(`callback(null, "hi")`),
	})
	pool := startPool(t, p, nil, func(o *Options) { o.MemoryMB = 32 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pool.Invoke(ctx, p.inv("hog")); !errors.Is(err, ErrWorkerExited) {
		t.Fatalf("got %v, want ErrWorkerExited", err)
	}
	if r := invoke(t, pool, p.inv("hello")); string(r.Body) != "hi" {
		t.Fatalf("after OOM: %s", r.Body)
	}
}

func TestDeadlineR44(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/slow.js":  fn(`setTimeout(() => callback(null, "late"), 300)`),
		"functions/never.js": fn(`/* R44: never calls back */`),
		"functions/hello.js": fn(`callback(null, "hi")`),
	})
	rec := &recorder{}
	pool := startPool(t, p, rec)
	for _, name := range []string{"slow", "never"} {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		start := time.Now()
		_, err := pool.Invoke(ctx, p.inv(name))
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: got %v, want DeadlineExceeded", name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: took %v", name, d)
		}
	}
	got := rec.waitFor(t, "callback after the invocation ended (timed out); ignored")
	if got.Level != slog.LevelWarn || got.Attrs["invocation"] != "RQ-slow" {
		t.Errorf("late callback log: %+v", got)
	}
	if pool.InFlight() != 0 {
		t.Errorf("InFlight = %d", pool.InFlight())
	}
	if r := invoke(t, pool, p.inv("hello")); string(r.Body) != "hi" {
		t.Errorf("worker stopped serving: %s", r.Body)
	}
}

func TestMalformedFrameReplacesWorker(t *testing.T) {
	cases := map[string]string{
		"bad header length": `Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])`,
		"bad json":          `Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 0]), Buffer.from("{x}")])`,
		"unknown type":      `Buffer.concat([Buffer.from([0, 0, 0, 15, 0, 0, 0, 0]), Buffer.from('{"type":"huh"}\n')])`,
	}
	files := map[string]string{"functions/hello.js": fn(`callback(null, "hi")`)}
	i := 0
	names := map[string]string{}
	for name, buf := range cases {
		f := fmt.Sprintf("bad%d", i)
		i++
		names[name] = f
		files["functions/"+f+".js"] = fn(`require("fs").writeSync(4, ` + buf + `); setTimeout(() => callback(null, "never"), 5000)`)
	}
	p := newProject(t, files)
	rec := &recorder{}
	pool := startPool(t, p, rec)
	for name, f := range names {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := pool.Invoke(ctx, p.inv(f)); !errors.Is(err, ErrWorkerExited) {
				t.Fatalf("got %v, want ErrWorkerExited", err)
			}
			if r := invoke(t, pool, p.inv("hello")); string(r.Body) != "hi" {
				t.Fatalf("after malformed frame: %s", r.Body)
			}
		})
	}
	if got := rec.waitFor(t, "malformed frame from worker "); got.Level != slog.LevelError {
		t.Errorf("log: %+v", got)
	}
}

func TestConcurrentInvocations(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/echo.js": fn(`setTimeout(() => callback(null, {n: event.n, pid: process.pid}), Math.random() * 20)`),
	})
	pool := startPool(t, p, nil, func(o *Options) { o.Count = 2 })
	var wg sync.WaitGroup
	var mu sync.Mutex
	pids := map[float64]bool{}
	for i := range 200 {
		wg.Go(func() {
			inv := p.inv("echo")
			inv.JSONBody = fmt.Appendf(nil, `{"n":%d}`, i)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			r, err := pool.Invoke(ctx, inv)
			if err != nil {
				t.Error(err)
				return
			}
			var got struct {
				N   int
				Pid float64
			}
			if err := jsonUnmarshal(r.Body, &got); err != nil || got.N != i {
				t.Errorf("invocation %d got %s (%v)", i, r.Body, err)
			}
			mu.Lock()
			pids[got.Pid] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(pids) != 2 {
		t.Errorf("work went to %d workers, want 2", len(pids))
	}
}

func TestCloseDrainsInFlight(t *testing.T) {
	p := newProject(t, map[string]string{"functions/slow.js": fn(`setTimeout(() => callback(null, "done"), 300)`)})
	pool := startPool(t, p, nil)
	res := make(chan *Reply, 1)
	go func() {
		r, err := pool.Invoke(context.Background(), p.inv("slow"))
		if err != nil {
			t.Error(err)
		}
		res <- r
	}()
	waitUntil(t, 5*time.Second, "in flight", func() bool { return pool.InFlight() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	closed := make(chan error, 1)
	go func() { closed <- pool.Close(ctx) }()
	waitUntil(t, 5*time.Second, "closing", func() bool {
		_, err := pool.Invoke(ctx, p.inv("slow"))
		return errors.Is(err, ErrClosed)
	})
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
	if r := <-res; r == nil || string(r.Body) != "done" {
		t.Fatalf("in-flight invocation not drained: %+v", r)
	}
}

func TestCloseKillsWhenContextEnds(t *testing.T) {
	p := newProject(t, map[string]string{"functions/hang.js": fn(`process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)`)})
	pool := startPool(t, p, nil)
	errc := make(chan error, 1)
	go func() {
		_, err := pool.Invoke(context.Background(), p.inv("hang"))
		errc <- err
	}()
	waitUntil(t, 5*time.Second, "in flight", func() bool { return pool.InFlight() == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := pool.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: got %v", err)
	}
	if err := <-errc; !errors.Is(err, ErrWorkerExited) {
		t.Errorf("in-flight: got %v, want ErrWorkerExited", err)
	}
}

func TestStartRejectsOldNode(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "node")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho v16.20.0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Start(context.Background(), Options{Node: fake, Count: 1, Project: Project{Dir: dir}})
	if err == nil || !strings.Contains(err.Error(), "v16.20.0") || !strings.Contains(err.Error(), "install Node.js 18 or newer or pass --node PATH") {
		t.Fatalf("got %v", err)
	}
	_, err = Start(context.Background(), Options{Node: filepath.Join(dir, "missing"), Count: 1, Project: Project{Dir: dir}})
	if err == nil || !strings.Contains(err.Error(), "install Node.js 18 or newer or pass --node PATH") {
		t.Fatalf("missing node: got %v", err)
	}
}

func TestStartFailsWhenWorkerDies(t *testing.T) {
	p := newProject(t, nil)
	// A NODE_OPTIONS from .env that Node rejects makes every start fail.
	_, err := Start(context.Background(), Options{Count: 1, Project: Project{Dir: p.dir, Env: []EnvVar{{"NODE_OPTIONS", "--no-such-flag"}}}, Logger: slog.New(&recorder{})})
	if err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Fatalf("got %v, want an error with the stderr tail", err)
	}
}

func TestStrayErrorAfterCallbackIsLoggedR43(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/stray.js": fn(`callback(null, "ok"); setTimeout(() => { throw new Error("late throw") }, 1); Promise.reject(new Error("late reject"))`),
		"functions/hello.js": fn(`callback(null, process.pid)`),
	})
	rec := &recorder{}
	pool := startPool(t, p, rec)
	pid := string(invoke(t, pool, p.inv("hello")).Body)
	if r := invoke(t, pool, p.inv("stray")); string(r.Body) != "ok" {
		t.Fatalf("got %s", r.Body)
	}
	for _, msg := range []string{"uncaught exception: Error: late throw", "unhandled promise rejection: Error: late reject"} {
		got := rec.waitFor(t, msg)
		if got.Level != slog.LevelError || got.Attrs["invocation"] != "RQ-stray" {
			t.Errorf("%q: %+v", msg, got)
		}
	}
	if got := string(invoke(t, pool, p.inv("hello")).Body); got != pid {
		t.Errorf("worker was replaced (pid %s → %s): stray errors must not kill it", pid, got)
	}
}

func TestOversizedOutputDoesNotKillWorker(t *testing.T) {
	p := newProject(t, map[string]string{
		"functions/biglog.js":    fn(`console.log("x".repeat(3 << 20)); callback(null, process.pid)`),
		"functions/bigheader.js": fn(`callback(null, new Twilio.Response().appendHeader("X", "y".repeat(2 << 20)))`),
		"functions/bigerror.js":  fn(`callback(new Error("e".repeat(2 << 20)))`),
		"functions/pid.js":       fn(`callback(null, process.pid)`),
	})
	rec := &recorder{}
	pool := startPool(t, p, rec)
	pid := string(invoke(t, pool, p.inv("pid")).Body)
	if r := invoke(t, pool, p.inv("biglog")); string(r.Body) != pid {
		t.Fatalf("biglog: %s", r.Body)
	}
	if r := invoke(t, pool, p.inv("bigheader")); r.Kind != Failure || r.Error == nil || !strings.Contains(r.Error.Message, "headers are larger than 1 MiB") {
		t.Fatalf("bigheader: %+v", r)
	}
	if r := invoke(t, pool, p.inv("bigerror")); r.Kind != Failure || r.Error == nil || !strings.HasSuffix(r.Error.Message, "(truncated)") {
		t.Fatalf("bigerror: %+v", r.Kind)
	}
	if got := string(invoke(t, pool, p.inv("pid")).Body); got != pid {
		t.Errorf("worker replaced: %s → %s", pid, got)
	}
	if got := rec.waitFor(t, "xxxxxxxx"); !strings.HasSuffix(got.Msg, "(truncated)") || got.Attrs["invocation"] != "RQ-biglog" {
		t.Errorf("big log record: len %d attrs %v", len(got.Msg), got.Attrs)
	}
}
