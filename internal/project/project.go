// Package project scans a Twilio Serverless project folder (functions/,
// assets/, package.json, .env) into an immutable Snapshot: the routes with
// their visibility, the environment and the @twilio/runtime-handler version
// the project behaves as (spec §1 R1–R7, R31, §12 R72–R75).
package project

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Visibility of a Function or Asset (R3, R8).
type Visibility int

// Visibilities, from the file-name marker (R3): none or ".public" is
// Public, ".protected" Protected, ".private" Private.
const (
	Public Visibility = iota
	Protected
	Private
)

// String returns "public", "protected" or "private", the spelling used in
// file names and by the Twilio API.
func (v Visibility) String() string {
	switch v {
	case Public:
		return "public"
	case Protected:
		return "protected"
	case Private:
		return "private"
	}
	return fmt.Sprintf("Visibility(%d)", int(v))
}

// Kind tells Functions from Assets.
type Kind int

// Kinds of resource.
const (
	Function Kind = iota
	Asset
)

// String returns "function" or "asset".
func (k Kind) String() string {
	switch k {
	case Function:
		return "function"
	case Asset:
		return "asset"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Resource is one routable file.
type Resource struct {
	Path       string // URL path, e.g. "/sms/reply", "/index.html"
	Kind       Kind
	Visibility Visibility
	File       string // absolute, cleaned file path
	Rel        string // slash-separated path relative to the project dir, e.g. "functions/sms/reply.protected.js"
}

// EnvVar is one .env entry.
type EnvVar struct{ Key, Value string }

// Snapshot is an immutable view of a project. Never mutate one after Load
// returns it: it is shared by concurrent requests, and a reload builds a new
// one instead.
type Snapshot struct {
	Dir          string      // absolute project directory
	FunctionsDir string      // absolute, "" if the project has none
	AssetsDir    string      // absolute, "" if none
	Functions    []*Resource // all Functions, sorted by Path
	Assets       []*Resource // all Assets, sorted by Path

	// Env holds the env file's entries in order of first appearance. A key
	// assigned twice keeps its first position and takes the last value, as
	// dotenv 6 does when it assigns into a JavaScript object. (JavaScript
	// would also list integer-like keys such as "42" first; the order does not
	// change what a Function sees, so that is not copied.)
	Env     []EnvVar
	EnvFile string // the env file actually read ("" if none)

	Handler HandlerVersion

	// Warnings are one-line startup messages about things that work here but
	// would fail or differ in production or in twilio-run (e.g. a missing or
	// ranged @twilio/runtime-handler, R72).
	Warnings []string

	byPath map[string]*Resource
}

// Lookup finds the resource for a raw request path: an exact,
// case-sensitive match without percent-decoding, where a trailing slash is
// significant (R6). The path "/" without a resource of its own falls back to
// the Asset at "/index.html" (from assets/index.html), else to the one at
// "/assets/index.html" (from assets/assets/index.html, R7); the fallback
// Asset stays reachable at its own path too. Visibility is not checked here.
func (s *Snapshot) Lookup(path string) (*Resource, bool) {
	if r, ok := s.find(path); ok {
		return r, true
	}
	if path != "/" {
		return nil, false
	}
	for _, p := range []string{"/index.html", "/assets/index.html"} {
		if r, ok := s.find(p); ok && r.Kind == Asset {
			return r, true
		}
	}
	return nil, false
}

// find looks a path up in the index Load builds, or, for a Snapshot built
// as a literal (as tests elsewhere may do), in its slices.
func (s *Snapshot) find(path string) (*Resource, bool) {
	if s.byPath != nil {
		r, ok := s.byPath[path]
		return r, ok
	}
	for _, list := range [][]*Resource{s.Functions, s.Assets} {
		for _, r := range list {
			if r.Path == path {
				return r, true
			}
		}
	}
	return nil, false
}

// Options for Load.
type Options struct {
	Dir string // project directory

	// EnvFile is the env file. "" means Dir/.env, which may be missing; an
	// explicitly named file must exist. A relative name is resolved against
	// Dir, as twilio-run resolves --env against the project directory.
	EnvFile string
}

// Load scans the project. Functions come from the first existing folder of
// functions/, src/ and Assets from the first of assets/, static/ (R1). The
// error, if any, names the file at fault and says what to do; when several
// files are at fault (invalid or duplicate paths) it lists all of them.
//
// Directory symlinks inside the roots are not followed (a warning says so),
// so a scan never leaves the project; symlinked files are fine. node_modules
// folders inside the roots are scanned like any other folder, because
// twilio-run and the deploy tooling do the same and would route them.
func Load(opts Options) (*Snapshot, error) {
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("project directory %q: %w", opts.Dir, err)
	}
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("project directory %s does not exist: pass the folder that holds functions/ and assets/", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("project directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("project directory %s is not a directory", dir)
	}
	s := &Snapshot{Dir: dir, byPath: map[string]*Resource{}}
	s.FunctionsDir = firstDir(dir, "functions", "src")
	s.AssetsDir = firstDir(dir, "assets", "static")
	if s.FunctionsDir == "" && s.AssetsDir == "" {
		// R1: twilio-run only warns and serves nothing; an empty server is
		// never what the user wanted, so this is an error here.
		return nil, fmt.Errorf("no functions/ or assets/ folder in %s: is this a Twilio Functions project? (src/ and static/ are accepted too)", dir)
	}

	var errs []error
	warn := func(format string, args ...any) {
		s.Warnings = append(s.Warnings, fmt.Sprintf(format, args...))
	}
	for _, root := range []struct {
		dir  string
		kind Kind
		list *[]*Resource
	}{
		{s.FunctionsDir, Function, &s.Functions},
		{s.AssetsDir, Asset, &s.Assets},
	} {
		if root.dir == "" {
			continue
		}
		files, err := scanRoot(dir, root.dir, root.kind, warn)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			p, vis := resourcePath(f.inRoot, root.kind)
			if err := checkPath(p); err != nil {
				errs = append(errs, fmt.Errorf("%s: invalid path %q: %w (R4); rename the file", f.rel, p, err))
				continue
			}
			r := &Resource{Path: p, Kind: root.kind, Visibility: vis, File: f.abs, Rel: f.rel}
			if prev, dup := s.byPath[p]; dup {
				errs = append(errs, fmt.Errorf("duplicate path %s: %s and %s; rename one of them (R5)", p, prev.Rel, r.Rel))
				continue
			}
			s.byPath[p] = r
			*root.list = append(*root.list, r)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	sortByPath(s.Functions)
	sortByPath(s.Assets)

	if err := s.loadEnv(opts.EnvFile); err != nil {
		return nil, err
	}
	hv, warnings, err := readHandlerVersion(dir)
	if err != nil {
		return nil, err
	}
	s.Handler = hv
	s.Warnings = append(s.Warnings, warnings...)
	return s, nil
}

// firstDir returns the absolute path of the first name under dir that is a
// directory (following symlinks, as twilio-run's statSync does), or "".
func firstDir(dir string, names ...string) string {
	for _, n := range names {
		p := filepath.Join(dir, n)
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return p
		}
	}
	return ""
}

func sortByPath(rs []*Resource) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Path < rs[j].Path })
}

// scannedFile is a file found under a resource root.
type scannedFile struct {
	abs    string // absolute, cleaned
	rel    string // slash-separated, relative to the project dir
	inRoot string // slash-separated, relative to the root
}

// scanRoot lists the files of one root that count as resources of kind
// (R2), in lexical order of their path inside the root.
func scanRoot(projectDir, root string, kind Kind, warn func(string, ...any)) ([]scannedFile, error) {
	rootRel, err := filepath.Rel(projectDir, root)
	if err != nil {
		return nil, err
	}
	var out []scannedFile
	var walk func(dir, inRoot string) error
	walk = func(dir, inRoot string) error {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("scan %s: %w", dir, err)
		}
		for _, e := range entries {
			name := e.Name()
			abs := filepath.Join(dir, name)
			sub := name
			if inRoot != "" {
				sub = inRoot + "/" + name
			}
			rel := filepath.ToSlash(rootRel) + "/" + sub
			mode := e.Type()
			if mode&fs.ModeSymlink != 0 {
				fi, err := os.Stat(abs)
				switch {
				case err != nil:
					warn("skipping %s: broken symlink (%v)", rel, err)
					continue
				case fi.IsDir():
					warn("skipping %s: Ahoy does not follow symlinked directories; copy the folder into the project instead", rel)
					continue
				}
				mode = fi.Mode().Type()
			}
			switch {
			case mode.IsDir():
				if err := walk(abs, sub); err != nil {
					return err
				}
			case mode.IsRegular():
				if counts(name, kind) {
					out = append(out, scannedFile{abs: abs, rel: rel, inRoot: sub})
				}
			}
		}
		return nil
	}
	if err := walk(root, ""); err != nil {
		return nil, err
	}
	return out, nil
}

// counts reports whether a regular file named name is a resource of kind
// (R2): Functions are exactly ".js" files (not .ts, .mjs, .cjs, .json);
// Assets are everything except macOS's .DS_Store litter.
func counts(name string, kind Kind) bool {
	if kind == Function {
		return nodeExtname(name) == ".js"
	}
	return name != ".DS_Store"
}
