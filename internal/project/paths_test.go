package project

import (
	"strings"
	"testing"
)

func TestPathFromFile_R3(t *testing.T) {
	tests := []struct {
		inRoot string
		kind   Kind
		path   string
		vis    Visibility
	}{
		// Documented examples.
		{"sms/reply.protected.js", Function, "/sms/reply", Protected},
		{"example.js", Function, "/example", Public},
		{"x.private.js", Function, "/x", Private},
		{"index.html", Asset, "/index.html", Public},
		{"assets/index.html", Asset, "/assets/index.html", Public},
		{"a/b.private.txt", Asset, "/a/b.txt", Private},
		{"a/b.protected.txt", Asset, "/a/b.txt", Protected},
		{"with space.js", Function, "/with-space", Public},
		// Quirk: ".public" is removed although it is not a marker.
		{"x.public.js", Function, "/x", Public},
		{"logo.public.png", Asset, "/logo.png", Public},
		{"x.publicity.js", Function, "/xity", Public},
		// Every JavaScript \s becomes '-', in folders too; U+0085 is not \s.
		{"a b/c\td.js", Function, "/a-b/c-d", Public},
		{"nb\u00a0sp.js", Function, "/nb-sp", Public},
		{"bom\ufeff.js", Function, "/bom-", Public},
		{"nel\u0085.js", Function, "/nel\u0085", Public},
		// Backslashes become '/'.
		{`a\b.js`, Function, "/a/b", Public},
		// Node's extname: dot-files have no extension.
		{".htaccess", Asset, "/.htaccess", Public},
		{"..js", Function, "/.", Public},
		{"noext", Asset, "/noext", Public},
		{"trailing.", Asset, "/trailing.", Public},
		// The marker search runs over the whole relative name (toolkit quirk,
		// kept because deploys use the same algorithm).
		{"dir.protected.js/x.js", Function, "/dir.protected.js/x", Protected},
		{"a.protected.jsx.js", Function, "/a.jsx", Protected},
		{"a.protected.b.protected.js", Function, "/a.b.protected", Protected},
		{"x.private.protected.js", Function, "/x.private", Protected},
		{"x.PRIVATE.js", Function, "/x.PRIVATE", Public},
		{"x.private", Asset, "/x.private", Public},
		{"d.private/README", Asset, "/d.private/README", Private}, // marker only removed from the base name
		// Not UTF-8 trouble: non-ASCII names are kept.
		{"ünï/çödé.js", Function, "/ünï/çödé", Public},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String()+":"+tt.inRoot, func(t *testing.T) {
			p, v := resourcePath(tt.inRoot, tt.kind)
			if p != tt.path || v != tt.vis {
				t.Errorf("resourcePath(%q, %v) = %q, %v; want %q, %v", tt.inRoot, tt.kind, p, v, tt.path, tt.vis)
			}
		})
	}
}

func TestNodeExtname_R2(t *testing.T) {
	tests := map[string]string{
		"a.js": ".js", "a.b.js": ".js", ".js": "", ".env": "", "..js": ".js",
		"a": "", "a.": ".", "a.JS": ".JS", "a.mjs": ".mjs", "a.js.map": ".map",
	}
	for in, want := range tests {
		if got := nodeExtname(in); got != want {
			t.Errorf("nodeExtname(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCounts_R2(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		want bool
	}{
		{"a.js", Function, true},
		{"a.ts", Function, false},
		{"a.mjs", Function, false},
		{"a.cjs", Function, false},
		{"a.json", Function, false},
		{"a.JS", Function, false},
		{".js", Function, false},
		{"a.js", Asset, true},
		{".DS_Store", Asset, false},
		{".DS_Store", Function, false},
		{".ds_store", Asset, true},
		{".gitkeep", Asset, true},
	}
	for _, tt := range tests {
		if got := counts(tt.name, tt.kind); got != tt.want {
			t.Errorf("counts(%q, %v) = %v, want %v", tt.name, tt.kind, got, tt.want)
		}
	}
}

func TestCheckPath_R4(t *testing.T) {
	valid := []string{"/", "/index.html", "/styles.css", "/sms", "/webhooks/voice", "/tokens/chat-access",
		"/ünï", "/a.b_c~d!e*f=g", "/" + strings.Repeat("x", 254)}
	for _, p := range valid {
		if err := checkPath(p); err != nil {
			t.Errorf("checkPath(%q) = %v, want nil", p, err)
		}
	}
	invalid := []struct{ path, msg string }{
		{"relative", "must start with /"},
		{"/index.html#hash", "#"},
		{"/?", `'?'`},
		{"/index:sample.html", `':'`},
		{"/styles(1).css", `'('`},
		{"/a)", `')'`},
		{"/$money", `'$'`},
		{"/webhooks/@voice", `'@'`},
		{"/a;b", `';'`},
		{"/a,b", `','`},
		{"/a+b", `'+'`},
		{"/a&b", `'&'`},
		{"/a'b", `'\''`},
		{`/a"b`, `'"'`},
		{"/a b", `' '`},
		{"/" + strings.Repeat("x", 255), "shorter than 256 characters, this one has 256"},
		// JavaScript counts UTF-16 code units: 128 emoji are 256 units.
		{"/" + strings.Repeat("😀", 128), "this one has 257"},
		{"/bad\xff", "UTF-8"},
	}
	for _, tt := range invalid {
		err := checkPath(tt.path)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("checkPath(%.30q) = %v, want error containing %q", tt.path, err, tt.msg)
		}
	}
}
