package logs

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestDevHandler(t *testing.T) {
	var buf bytes.Buffer
	log := New(&buf, true, slog.LevelInfo).With("worker", 7).WithGroup("fn")
	log.Debug("hidden")
	log.Warn("cookie lives longer than a day", "path", "/auth/remember", "why", "Max-Age=2592000 > 86400", "err", errors.New("x"))
	log.Error("the Function failed", "stack", "Error: boom\n    at handler (a.js:1:1)")
	out := buf.String()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if strings.Contains(out, "hidden") {
		t.Fatalf("debug record printed at info level:\n%s", out)
	}
	want := []string{
		`WARN  cookie lives longer than a day worker=7 fn.path=/auth/remember fn.why="Max-Age=2592000 > 86400" fn.err=x`,
		`ERROR the Function failed worker=7 fn.stack=`,
		`    Error: boom`,
		`        at handler (a.js:1:1)`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, w := range want {
		if !strings.Contains(lines[i], w) {
			t.Errorf("line %d = %q, want it to contain %q", i, lines[i], w)
		}
	}
}

func TestJSONInServeMode(t *testing.T) {
	var buf bytes.Buffer
	New(&buf, false, slog.LevelInfo).Info("request", "status", 200)
	if !strings.HasPrefix(buf.String(), `{"time":`) || !strings.Contains(buf.String(), `"status":200`) {
		t.Fatalf("serve mode must log JSON lines, got %q", buf.String())
	}
}
