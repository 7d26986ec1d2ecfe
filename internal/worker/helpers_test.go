package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ahoy-run/ahoy/internal/projecttest"
)

// recorder is a slog.Handler that keeps every record for assertions.
type recorder struct {
	mu      sync.Mutex
	records []record
}

type record struct {
	Level slog.Level
	Msg   string
	Attrs map[string]string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	attrs := map[string]string{}
	rec.Attrs(func(a slog.Attr) bool {
		attrs[a.Key] = a.Value.String()
		return true
	})
	r.mu.Lock()
	r.records = append(r.records, record{rec.Level, rec.Message, attrs})
	r.mu.Unlock()
	return nil
}

func (r *recorder) all() []record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]record(nil), r.records...)
}

// find returns the first record whose message contains sub.
func (r *recorder) find(sub string) (record, bool) {
	for _, rec := range r.all() {
		if strings.Contains(rec.Msg, sub) {
			return rec, true
		}
	}
	return record{}, false
}

// waitFor polls until a record containing sub appears.
func (r *recorder) waitFor(t *testing.T, sub string) record {
	t.Helper()
	var rec record
	waitUntil(t, 10*time.Second, "log "+sub, func() bool {
		var ok bool
		rec, ok = r.find(sub)
		return ok
	})
	return rec
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testProject is a temp project folder with Functions written by the test.
type testProject struct {
	t   testing.TB
	dir string
}

func newProject(t testing.TB, files map[string]string) *testProject {
	t.Helper()
	p := &testProject{t: t, dir: t.TempDir()}
	for name, src := range files {
		p.write(name, src)
	}
	return p
}

func (p *testProject) write(name, src string) {
	p.t.Helper()
	projecttest.Write(p.t, p.dir, map[string]string{name: src})
}

// withTwilio links the repo's test copy of the twilio package into the project.
func (p *testProject) withTwilio() {
	p.t.Helper()
	projecttest.LinkTwilio(p.t, p.dir)
}

func (p *testProject) inv(name string) Invocation {
	rel := filepath.ToSlash(filepath.Join("functions", name+".js"))
	return Invocation{
		ID:   "RQ-" + name,
		File: filepath.Join(p.dir, rel),
		Rel:  rel,
		Path: "/" + name,
	}
}

type poolOpt func(*Options)

func startPool(t *testing.T, p *testProject, rec *recorder, mods ...poolOpt) *Pool {
	t.Helper()
	if rec == nil {
		rec = &recorder{}
	}
	opts := Options{
		Count:  1,
		Logger: slog.New(rec),
		Project: Project{
			Dir:          p.dir,
			DomainName:   "localhost:3000",
			EventRequest: true,
		},
	}
	for _, m := range mods {
		m(&opts)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pool, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		pool.Close(ctx)
	})
	return pool
}

func invoke(t *testing.T, pool *Pool, inv Invocation) *Reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := pool.Invoke(ctx, inv)
	if err != nil {
		t.Fatalf("Invoke %s: %v", inv.Path, err)
	}
	return r
}

func fn(body string) string {
	if strings.Contains(body, "await") {
		return "exports.handler = async function (context, event, callback) {\n" + body + "\n};\n"
	}
	return "exports.handler = function (context, event, callback) {\n" + body + "\n};\n"
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
