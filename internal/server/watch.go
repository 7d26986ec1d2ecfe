package server

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// topLevel are the names in the project folder whose changes matter.
var topLevel = []string{"functions", "src", "assets", "static", "package.json", ".env"}

// watch reloads the project whenever a Function, Asset, package.json or the
// env file changes (R14): warm workers keep modules loaded, so even an edit
// to a Function needs fresh workers. Events are debounced, so saving ten
// files reloads once. inotify is not recursive: every directory below the
// resource roots gets its own watch, and new directories are added as they
// appear.
func (s *Server) watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return err
	}
	dir := s.Snapshot().Dir
	envFile := s.Snapshot().EnvFile
	if err := w.Add(dir); err != nil {
		_ = w.Close()
		return err
	}
	for _, name := range topLevel[:4] {
		addTree(w, filepath.Join(dir, name))
	}
	if envFile != "" && filepath.Dir(envFile) != dir {
		_ = w.Add(filepath.Dir(envFile))
	}
	debounce := s.cfg.WatchDebounce
	if debounce <= 0 {
		debounce = 250 * time.Millisecond
	}
	relevant := func(path string) bool {
		if path == envFile {
			return true
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return false
		}
		first, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		return slices.Contains(topLevel, first)
	}
	s.watching.Go(func() {
		defer w.Close()
		var timer <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if !relevant(ev.Name) {
					continue
				}
				if ev.Has(fsnotify.Create) {
					if info, err := os.Stat(ev.Name); err == nil && info.IsDir() {
						addTree(w, ev.Name)
					}
				}
				timer = time.After(debounce)
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				s.log.Warn("watching the project", "error", err)
			case <-timer:
				timer = nil
				if err := s.Reload(ctx); err != nil {
					s.log.Error("reload failed; still serving the previous version: " + err.Error())
				}
			}
		}
	})
	return nil
}

// addTree watches root and every directory below it except node_modules and
// hidden ones.
func addTree(w *fsnotify.Watcher, root string) {
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if path != root && (d.Name() == "node_modules" || d.Name()[0] == '.') {
			return filepath.SkipDir
		}
		_ = w.Add(path)
		return nil
	})
}
