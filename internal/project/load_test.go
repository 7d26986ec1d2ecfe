package project

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ahoy-run/ahoy/internal/projecttest"
)

func mustLoad(t *testing.T, opts Options) *Snapshot {
	t.Helper()
	s, err := Load(opts)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

func paths(rs []*Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Path)
	}
	return out
}

func TestLoad_Roots_R1(t *testing.T) {
	tests := []struct {
		name          string
		files         map[string]string
		functions     string // root name, "" for none
		assets        string
		functionPaths []string
		assetPaths    []string
		errContains   string
	}{
		{name: "functions and assets", files: map[string]string{"functions/a.js": "", "assets/b.txt": ""},
			functions: "functions", assets: "assets", functionPaths: []string{"/a"}, assetPaths: []string{"/b.txt"}},
		{name: "functions wins over src", files: map[string]string{"functions/a.js": "", "src/b.js": ""},
			functions: "functions", functionPaths: []string{"/a"}},
		{name: "src when no functions", files: map[string]string{"src/b.js": ""},
			functions: "src", functionPaths: []string{"/b"}},
		{name: "assets wins over static", files: map[string]string{"assets/a.css": "", "static/b.css": ""},
			assets: "assets", assetPaths: []string{"/a.css"}},
		{name: "static when no assets", files: map[string]string{"static/b.css": ""},
			assets: "static", assetPaths: []string{"/b.css"}},
		{name: "a file named functions is not a root", files: map[string]string{"functions": "", "src/b.js": ""},
			functions: "src", functionPaths: []string{"/b"}},
		{name: "empty roots are fine", files: map[string]string{"functions/": "", "assets/": ""},
			functions: "functions", assets: "assets"},
		{name: "no roots", files: map[string]string{"index.js": "", "package.json": "{}"},
			errContains: "no functions/ or assets/ folder in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := projecttest.New(t, tt.files)
			s, err := Load(Options{Dir: dir})
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) || !strings.Contains(err.Error(), dir) {
					t.Fatalf("Load = %v, want error containing %q and %s", err, tt.errContains, dir)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := func(name string) string {
				if name == "" {
					return ""
				}
				return filepath.Join(dir, name)
			}
			if s.FunctionsDir != want(tt.functions) || s.AssetsDir != want(tt.assets) {
				t.Errorf("roots = %q, %q; want %q, %q", s.FunctionsDir, s.AssetsDir, want(tt.functions), want(tt.assets))
			}
			if got := paths(s.Functions); !reflect.DeepEqual(got, tt.functionPaths) {
				t.Errorf("functions = %q, want %q", got, tt.functionPaths)
			}
			if got := paths(s.Assets); !reflect.DeepEqual(got, tt.assetPaths) {
				t.Errorf("assets = %q, want %q", got, tt.assetPaths)
			}
		})
	}
}

func TestLoad_NotADirectory_R1(t *testing.T) {
	dir := projecttest.New(t, map[string]string{"file": ""})
	for _, d := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "file")} {
		if _, err := Load(Options{Dir: d}); err == nil {
			t.Errorf("Load(%s) succeeded, want an error", d)
		}
	}
}

func TestLoad_Resources_R2_R3(t *testing.T) {
	dir := projecttest.New(t, map[string]string{
		"functions/sms/reply.protected.js": "",
		"functions/hello.js":               "",
		"functions/lib/util.private.js":    "",
		"functions/types.ts":               "",
		"functions/esm.mjs":                "",
		"functions/cjs.cjs":                "",
		"functions/data.json":              "",
		"functions/.DS_Store":              "",
		"assets/index.html":                "",
		"assets/.DS_Store":                 "",
		"assets/img/.DS_Store":             "",
		"assets/img/logo.png":              "",
		"assets/secret.private.json":       "",
		"assets/assets/index.html":         "",
		"assets/.gitkeep":                  "",
		"assets/script.js":                 "",
	})
	s := mustLoad(t, Options{Dir: dir})
	type res struct {
		Path string
		Kind Kind
		Vis  Visibility
		Rel  string
	}
	var got []res
	for _, r := range append(append([]*Resource{}, s.Functions...), s.Assets...) {
		got = append(got, res{r.Path, r.Kind, r.Visibility, r.Rel})
		if want := filepath.Join(dir, filepath.FromSlash(r.Rel)); r.File != want {
			t.Errorf("%s: File = %q, want %q", r.Path, r.File, want)
		}
		if lr, ok := s.Lookup(r.Path); !ok || lr != r {
			t.Errorf("Lookup(%q) = %v, %v; want the resource itself", r.Path, lr, ok)
		}
	}
	want := []res{
		{"/hello", Function, Public, "functions/hello.js"},
		{"/lib/util", Function, Private, "functions/lib/util.private.js"},
		{"/sms/reply", Function, Protected, "functions/sms/reply.protected.js"},
		{"/.gitkeep", Asset, Public, "assets/.gitkeep"},
		{"/assets/index.html", Asset, Public, "assets/assets/index.html"},
		{"/img/logo.png", Asset, Public, "assets/img/logo.png"},
		{"/index.html", Asset, Public, "assets/index.html"},
		{"/script.js", Asset, Public, "assets/script.js"},
		{"/secret.json", Asset, Private, "assets/secret.private.json"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resources:\n got %v\nwant %v", got, want)
	}
	if s.Dir != dir {
		t.Errorf("Dir = %q, want %q", s.Dir, dir)
	}
}

func TestLoad_RelativeDir_R1(t *testing.T) {
	dir := projecttest.New(t, map[string]string{"functions/a.js": ""})
	t.Chdir(filepath.Dir(dir))
	s := mustLoad(t, Options{Dir: filepath.Base(dir)})
	if s.Dir != dir || s.Functions[0].File != filepath.Join(dir, "functions", "a.js") {
		t.Errorf("Dir = %q, File = %q; want absolute paths under %s", s.Dir, s.Functions[0].File, dir)
	}
}

func TestLoad_DuplicatePath_R5(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		msgs  []string
	}{
		{"marker", map[string]string{"functions/a.js": "", "functions/a.protected.js": ""},
			[]string{"duplicate path /a: functions/a.js and functions/a.protected.js; rename one of them"}},
		{"public quirk", map[string]string{"functions/a.js": "", "functions/a.public.js": ""},
			[]string{"duplicate path /a: functions/a.js and functions/a.public.js"}},
		{"whitespace", map[string]string{"functions/a b.js": "", "functions/a-b.js": ""},
			[]string{"duplicate path /a-b: functions/a b.js and functions/a-b.js"}},
		{"function and asset", map[string]string{"functions/a.js": "", "assets/a": ""},
			[]string{"duplicate path /a: functions/a.js and assets/a"}},
		{"asset markers", map[string]string{"assets/x.private.txt": "", "assets/x.txt": ""},
			[]string{"duplicate path /x.txt: assets/x.private.txt and assets/x.txt"}},
		{"all reported", map[string]string{"functions/a.js": "", "functions/a.private.js": "", "functions/b.js": "", "functions/b.protected.js": ""},
			[]string{"duplicate path /a:", "duplicate path /b:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Options{Dir: projecttest.New(t, tt.files)})
			if err == nil {
				t.Fatal("Load succeeded, want a duplicate-path error")
			}
			for _, m := range tt.msgs {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
		})
	}
}

func TestLoad_InvalidPath_R4(t *testing.T) {
	dir := projecttest.New(t, map[string]string{
		"functions/a#b.js":     "",
		"assets/styles(1).css": "",
		"functions/ok.js":      "",
		"functions/" + strings.Repeat("x", 130) + "/" + strings.Repeat("y", 130) + ".js": "",
	})
	_, err := Load(Options{Dir: dir})
	if err == nil {
		t.Fatal("Load succeeded, want invalid-path errors")
	}
	for _, m := range []string{
		`functions/a#b.js: invalid path "/a#b": a path cannot contain # (R4); rename the file`,
		`assets/styles(1).css: invalid path "/styles(1).css": a path cannot contain '('`,
		"a path must be shorter than 256 characters, this one has 262",
	} {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("error %q does not contain %q", err, m)
		}
	}
	if strings.Contains(err.Error(), "ok.js") {
		t.Errorf("error %q mentions a valid file", err)
	}
}

func TestLoad_Symlinks_R2(t *testing.T) {
	outside := projecttest.New(t, map[string]string{"lib/x.js": "", "file.js": ""})
	dir := projecttest.New(t, map[string]string{"functions/a.js": ""})
	for link, target := range map[string]string{
		"functions/linked.js": filepath.Join(outside, "file.js"),
		"functions/lib":       filepath.Join(outside, "lib"),
		"functions/broken.js": filepath.Join(outside, "missing.js"),
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Skipf("symlinks unsupported: %v", err)
		}
	}
	s := mustLoad(t, Options{Dir: dir})
	if got, want := paths(s.Functions), []string{"/a", "/linked"}; !reflect.DeepEqual(got, want) {
		t.Errorf("functions = %q, want %q (file symlink followed, directory symlink not)", got, want)
	}
	if f := s.Functions[1].File; f != filepath.Join(dir, "functions", "linked.js") {
		t.Errorf("File = %q, want the link's own path", f)
	}
	warnings := strings.Join(s.Warnings, "\n")
	for _, m := range []string{"functions/lib: Ahoy does not follow symlinked directories", "functions/broken.js: broken symlink"} {
		if !strings.Contains(warnings, m) {
			t.Errorf("warnings %q do not contain %q", warnings, m)
		}
	}
}

func TestLoad_SymlinkedRoot_R1(t *testing.T) {
	outside := projecttest.New(t, map[string]string{"fns/a.js": ""})
	dir := projecttest.New(t, nil)
	if err := os.Symlink(filepath.Join(outside, "fns"), filepath.Join(dir, "functions")); err != nil {
		t.Skipf("symlinks unsupported: %v", err)
	}
	s := mustLoad(t, Options{Dir: dir})
	if got := paths(s.Functions); !reflect.DeepEqual(got, []string{"/a"}) {
		t.Errorf("functions = %q; a symlinked root is the user's explicit choice and is followed", got)
	}
}

func TestLookup_Exact_R6(t *testing.T) {
	s := mustLoad(t, Options{Dir: projecttest.New(t, map[string]string{
		"functions/str.js":        "",
		"functions/with space.js": "",
		"assets/Logo.png":         "",
	})})
	tests := []struct {
		path string
		want string // "" for not found
	}{
		{"/str", "/str"},
		{"/str/", ""},
		{"/Str", ""},
		{"/with-space", "/with-space"},
		{"/with%20space", ""},
		{"/with space", ""},
		{"/Logo.png", "/Logo.png"},
		{"/logo.png", ""},
		{"str", ""},
		{"", ""},
		{"/str?x=1", ""},
	}
	for _, tt := range tests {
		r, ok := s.Lookup(tt.path)
		if ok != (tt.want != "") || ok && r.Path != tt.want {
			t.Errorf("Lookup(%q) = %v, %v; want %q", tt.path, r, ok, tt.want)
		}
	}
}

func TestLookup_RootFallback_R7(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string // Rel of the resource served at "/", "" for none
	}{
		{"assets/assets/index.html", map[string]string{"assets/assets/index.html": ""}, "assets/assets/index.html"},
		{"assets/index.html", map[string]string{"assets/index.html": ""}, "assets/index.html"},
		{"both: /index.html first", map[string]string{"assets/index.html": "", "assets/assets/index.html": ""}, "assets/index.html"},
		{"private still found (the caller refuses it)", map[string]string{"assets/assets/index.private.html": ""}, "assets/assets/index.private.html"},
		{"static root", map[string]string{"static/assets/index.html": ""}, "static/assets/index.html"},
		{"other type too (twilio-run does not check)", map[string]string{"assets/assets/index.html": "", "assets/x.txt": ""}, "assets/assets/index.html"},
		{"no index", map[string]string{"assets/home.html": "", "functions/index.js": ""}, ""},
		{"index.htm is not index.html", map[string]string{"assets/index.htm": ""}, ""},
		{"a Function at /index.html is not an asset", map[string]string{"functions/index.html.js": ""}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustLoad(t, Options{Dir: projecttest.New(t, tt.files)})
			r, ok := s.Lookup("/")
			if tt.want == "" {
				if ok {
					t.Fatalf("Lookup(/) = %s, want none", r.Rel)
				}
				return
			}
			if !ok || r.Rel != tt.want {
				t.Fatalf("Lookup(/) = %v, %v; want %s", r, ok, tt.want)
			}
			if own, ok := s.Lookup(r.Path); !ok || own != r {
				t.Errorf("the fallback asset is not reachable at its own path %s", r.Path)
			}
			if _, ok := s.Lookup("//"); ok {
				t.Error("Lookup(//) found something; only / falls back")
			}
		})
	}
}

func TestLoad_Env_R31(t *testing.T) {
	tests := []struct {
		name        string
		files       map[string]string
		envFile     string
		want        []EnvVar
		wantFile    string // relative to the project, "" for none
		errContains []string
	}{
		{name: "missing default .env", files: map[string]string{"functions/a.js": ""}},
		{name: "default .env", files: map[string]string{"functions/a.js": "", ".env": "A=1\nB=\"two\"\n"},
			want: []EnvVar{{"A", "1"}, {"B", "two"}}, wantFile: ".env"},
		{name: "explicit relative to the project", files: map[string]string{"functions/a.js": "", ".env": "A=1", "env/prod.env": "P=1"},
			envFile: "env/prod.env", want: []EnvVar{{"P", "1"}}, wantFile: "env/prod.env"},
		{name: "explicit missing", files: map[string]string{"functions/a.js": ""}, envFile: ".env.prod",
			errContains: []string{".env.prod does not exist"}},
		{name: "syntax error names file and line", files: map[string]string{"functions/a.js": "", ".env": "A=1\n\nOOPS\n"},
			errContains: []string{filepath.Join("/", ".env") + ": line 3:", "comment it out"}},
		{name: ".env is a directory", files: map[string]string{"functions/a.js": "", ".env/": ""},
			errContains: []string{"env file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := projecttest.New(t, tt.files)
			s, err := Load(Options{Dir: dir, EnvFile: tt.envFile})
			if len(tt.errContains) > 0 {
				if err == nil {
					t.Fatal("Load succeeded, want an error")
				}
				for _, m := range tt.errContains {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("error %q does not contain %q", err, m)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Env, tt.want) {
				t.Errorf("Env = %q, want %q", s.Env, tt.want)
			}
			wantFile := ""
			if tt.wantFile != "" {
				wantFile = filepath.Join(dir, tt.wantFile)
			}
			if s.EnvFile != wantFile {
				t.Errorf("EnvFile = %q, want %q", s.EnvFile, wantFile)
			}
		})
	}
}

func TestLoad_EnvAbsolute_R31(t *testing.T) {
	other := projecttest.New(t, map[string]string{"x.env": "X=1"})
	dir := projecttest.New(t, map[string]string{"functions/a.js": ""})
	s := mustLoad(t, Options{Dir: dir, EnvFile: filepath.Join(other, "x.env")})
	if !reflect.DeepEqual(s.Env, []EnvVar{{"X", "1"}}) || s.EnvFile != filepath.Join(other, "x.env") {
		t.Errorf("Env = %q from %q", s.Env, s.EnvFile)
	}
}

func TestEnvLimitWarnings_R30(t *testing.T) {
	tests := []struct {
		name string
		env  []EnvVar
		want []string // substrings, one per expected warning
	}{
		{"small", []EnvVar{{"A", "b"}}, nil},
		{"key of 128 is fine", []EnvVar{{strings.Repeat("K", 128), "v"}}, nil},
		{"key of 129", []EnvVar{{strings.Repeat("K", 129), "v"}}, []string{"129 characters long"}},
		{"value of 450 bytes is fine", []EnvVar{{"A", strings.Repeat("v", 450)}}, nil},
		{"value of 451 bytes", []EnvVar{{"A", strings.Repeat("é", 225) + "v"}}, []string{"env value of A is 451 bytes"}},
		{"total over 3 KB", []EnvVar{{"A", strings.Repeat("v", 400)}, {"B", strings.Repeat("v", 400)}, {"C", strings.Repeat("v", 400)},
			{"D", strings.Repeat("v", 400)}, {"E", strings.Repeat("v", 400)}, {"F", strings.Repeat("v", 400)}, {"G", strings.Repeat("v", 400)},
			{"H", strings.Repeat("\n", 200)}}, []string{"is 3257 bytes as JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := envLimitWarnings(tt.env)
			if len(got) != len(tt.want) {
				t.Fatalf("warnings = %q, want %d", got, len(tt.want))
			}
			for i, m := range tt.want {
				if !strings.Contains(got[i], m) {
					t.Errorf("warning %q does not contain %q", got[i], m)
				}
			}
		})
	}
}

func TestLookup_LiteralSnapshot_R6_R7(t *testing.T) {
	fn := &Resource{Path: "/a", Kind: Function}
	idx := &Resource{Path: "/assets/index.html", Kind: Asset}
	s := &Snapshot{Functions: []*Resource{fn}, Assets: []*Resource{idx}}
	for path, want := range map[string]*Resource{"/a": fn, "/": idx, "/assets/index.html": idx, "/a/": nil} {
		r, ok := s.Lookup(path)
		if r != want || ok != (want != nil) {
			t.Errorf("Lookup(%q) = %v, %v; want %v", path, r, ok, want)
		}
	}
}
