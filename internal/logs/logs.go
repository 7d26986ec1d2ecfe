// Package logs holds Ahoy's log formats: JSON lines for production (slog's
// JSON handler) and readable lines for local development.
package logs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
)

// New returns the logger for a mode: readable lines in dev, JSON lines otherwise.
func New(w io.Writer, dev bool, level slog.Level) *slog.Logger {
	if dev {
		return slog.New(NewDevHandler(w, level))
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// DevHandler writes one readable line per record:
//
//	16:04:05 WARN  cookie lives longer than a day function=/auth/remember
type DevHandler struct {
	mu     *sync.Mutex
	w      io.Writer
	level  slog.Leveler
	prefix string // pre-formatted attrs from WithAttrs
	group  string
}

// NewDevHandler returns a DevHandler writing records at level or above to w.
func NewDevHandler(w io.Writer, level slog.Leveler) *DevHandler {
	return &DevHandler{mu: &sync.Mutex{}, w: w, level: level}
}

// Enabled implements slog.Handler.
func (h *DevHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// Handle implements slog.Handler.
func (h *DevHandler) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format("15:04:05"))
	b.WriteByte(' ')
	fmt.Fprintf(&b, "%-5s ", r.Level.String())
	b.WriteString(r.Message)
	b.WriteString(h.prefix)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, h.group, a)
		return true
	})
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// WithAttrs implements slog.Handler.
func (h *DevHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	for _, a := range attrs {
		writeAttr(&b, h.group, a)
	}
	c := *h
	c.prefix += b.String()
	return &c
}

// WithGroup implements slog.Handler.
func (h *DevHandler) WithGroup(name string) slog.Handler {
	c := *h
	if c.group != "" {
		c.group += "."
	}
	c.group += name
	return &c
}

func writeAttr(b *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	key := a.Key
	if group != "" {
		key = group + "." + key
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			writeAttr(b, key, g)
		}
		return
	}
	v := a.Value.String()
	if strings.Contains(v, "\n") {
		// Stacks and multi-line messages stay readable: indented below the line.
		b.WriteString(" " + key + "=\n    " + strings.ReplaceAll(strings.TrimRight(v, "\n"), "\n", "\n    "))
		return
	}
	if v == "" || strings.ContainsAny(v, " \t\"=") {
		v = strconv.Quote(v)
	}
	b.WriteString(" " + key + "=" + v)
}
