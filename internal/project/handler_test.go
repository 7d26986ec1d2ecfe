package project

import (
	"strings"
	"testing"

	"github.com/ahoy-run/ahoy/internal/projecttest"
)

func TestHandlerVersion_R72(t *testing.T) {
	tests := []struct {
		name     string
		pkg      string // package.json content; "-" for no file
		declared string
		version  string
		exact    bool
		eventReq bool
		warnings []string // substrings, one per expected warning, in order
	}{
		{name: "exact", pkg: `{"dependencies":{"@twilio/runtime-handler":"1.2.1"}}`,
			declared: "1.2.1", version: "1.2.1", exact: true, eventReq: true},
		{name: "exact 2.1.2", pkg: `{"dependencies":{"@twilio/runtime-handler":"2.1.2"}}`,
			declared: "2.1.2", version: "2.1.2", exact: true, eventReq: true},
		{name: "exact with v and blanks (semver.parse)", pkg: `{"dependencies":{"@twilio/runtime-handler":" v1.2.0 "}}`,
			declared: " v1.2.0 ", version: "1.2.0", exact: true, eventReq: true},
		{name: "prerelease is exact", pkg: `{"dependencies":{"@twilio/runtime-handler":"2.0.0-beta.1+b"}}`,
			declared: "2.0.0-beta.1+b", version: "2.0.0", exact: true, eventReq: true},
		{name: "old exact (R74)", pkg: `{"dependencies":{"@twilio/runtime-handler":"1.1.0"}}`,
			declared: "1.1.0", version: "1.1.0", exact: true, eventReq: false, warnings: []string{"older than 1.2.0"}},
		{name: "2.1.0 rejected at deploy (R73)", pkg: `{"dependencies":{"@twilio/runtime-handler":"2.1.0"}}`,
			declared: "2.1.0", version: "2.1.0", exact: true, eventReq: true, warnings: []string{"Error 20001"}},
		{name: "newer than known", pkg: `{"dependencies":{"@twilio/runtime-handler":"3.0.0"}}`,
			declared: "3.0.0", version: "3.0.0", exact: true, eventReq: true, warnings: []string{"newer than any version Ahoy knows"}},
		{name: "caret range", pkg: `{"dependencies":{"@twilio/runtime-handler":"^1.2.0"}}`,
			declared: "^1.2.0", version: "1.2.0", eventReq: true, warnings: []string{`"^1.2.0" is a range, not an exact version: production refuses to deploy it (R72); behaving as 1.2.0`}},
		{name: "tilde range below 1.2.0", pkg: `{"dependencies":{"@twilio/runtime-handler":"~1.1.0"}}`,
			declared: "~1.1.0", version: "1.1.0", eventReq: false, warnings: []string{"is a range", "older than 1.2.0"}},
		{name: ">= range", pkg: `{"dependencies":{"@twilio/runtime-handler":">=1.2.0"}}`,
			declared: ">=1.2.0", version: "1.2.0", eventReq: true, warnings: []string{"is a range"}},
		{name: "dependencies wins over devDependencies", pkg: `{"dependencies":{"@twilio/runtime-handler":"1.2.0"},"devDependencies":{"@twilio/runtime-handler":"2.0.0"}}`,
			declared: "1.2.0", version: "1.2.0", exact: true, eventReq: true},
		{name: "latest", pkg: `{"dependencies":{"@twilio/runtime-handler":"latest"}}`,
			declared: "latest", version: "2.1.2", eventReq: true, warnings: []string{`"latest" is not a version`}},
		{name: "star", pkg: `{"dependencies":{"@twilio/runtime-handler":"*"}}`,
			declared: "*", version: "2.1.2", eventReq: true, warnings: []string{"is not a version"}},
		{name: "not a string", pkg: `{"dependencies":{"@twilio/runtime-handler":12}}`,
			declared: "12", version: "2.1.2", eventReq: true, warnings: []string{`"12" is not a version`}},
		{name: "missing dependency", pkg: `{"dependencies":{"twilio":"5.0.0"}}`,
			version: "2.1.2", eventReq: true, warnings: []string{`has no @twilio/runtime-handler in "dependencies": behaving as the newest version, 2.1.2`}},
		{name: "dependencies not an object", pkg: `{"dependencies":"x"}`,
			version: "2.1.2", eventReq: true, warnings: []string{"has no @twilio/runtime-handler"}},
		{name: "null dependency", pkg: `{"dependencies":{"@twilio/runtime-handler":null}}`,
			version: "2.1.2", eventReq: true, warnings: []string{"has no @twilio/runtime-handler"}},
		{name: "empty object", pkg: `{}`, version: "2.1.2", eventReq: true, warnings: []string{"has no @twilio/runtime-handler"}},
		{name: "BOM tolerated", pkg: "\ufeff" + `{"dependencies":{"@twilio/runtime-handler":"1.2.0"}}`,
			declared: "1.2.0", version: "1.2.0", exact: true, eventReq: true},
		{name: "only devDependencies", pkg: `{"devDependencies":{"@twilio/runtime-handler":"1.1.0"}}`,
			declared: "1.1.0", version: "1.1.0", exact: true, eventReq: false,
			warnings: []string{`in "devDependencies": twilio-run refuses to start`, "older than 1.2.0"}},
		{name: "no package.json", pkg: "-", version: "2.1.2", eventReq: true, warnings: []string{"no package.json in"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"functions/a.js": ""}
			if tt.pkg != "-" {
				files["package.json"] = tt.pkg
			}
			s := mustLoad(t, Options{Dir: projecttest.New(t, files)})
			h := s.Handler
			if h.Declared != tt.declared || h.String() != tt.version || h.Exact != tt.exact || h.EventRequest() != tt.eventReq {
				t.Errorf("Handler = %+v (EventRequest %v); want declared %q, version %s, exact %v, EventRequest %v",
					h, h.EventRequest(), tt.declared, tt.version, tt.exact, tt.eventReq)
			}
			if len(s.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings = %q, want %d", s.Warnings, len(tt.warnings))
			}
			for i, m := range tt.warnings {
				if !strings.Contains(s.Warnings[i], m) {
					t.Errorf("warning %q does not contain %q", s.Warnings[i], m)
				}
			}
		})
	}
}

func TestLoad_PackageJSONErrors_R72(t *testing.T) {
	tests := []struct{ name, pkg, msg string }{
		{"syntax", "{\n  \"dependencies\": {\n    \"a\": \"1\",\n  }\n}", "package.json: invalid JSON at line 4, column 3"},
		{"truncated", `{"dependencies":`, "invalid JSON at line 1"},
		{"not an object", `["x"]`, "the top level must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Options{Dir: projecttest.New(t, map[string]string{"functions/a.js": "", "package.json": tt.pkg})})
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Load = %v, want error containing %q", err, tt.msg)
			}
		})
	}
}

func TestParseExactSemver_R72(t *testing.T) {
	exact := map[string]string{
		"1.2.3": "1.2.3", "v1.2.3": "1.2.3", "0.0.0": "0.0.0", "1.2.3-rc.1": "1.2.3", "1.2.3+build.5": "1.2.3",
		"1.2.3-0a": "1.2.3", "\t1.2.3 ": "1.2.3",
	}
	for in, want := range exact {
		n, ok := parseExactSemver(in)
		if !ok || versionOf(n, "", true).String() != want {
			t.Errorf("parseExactSemver(%q) = %v, %v; want %s", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "1", "1.2", "01.2.3", "1.02.3", "=1.2.3", "^1.2.3", "1.2.3-01", "1.2.3.4", "1.2.x", "latest",
		"9007199254740992.0.0", "1.2.3-", "1.2.3+", "v 1.2.3"} {
		if n, ok := parseExactSemver(in); ok {
			t.Errorf("parseExactSemver(%q) = %v, want not exact", in, n)
		}
	}
}

func TestLowestOfRange_R72(t *testing.T) {
	tests := map[string]string{
		"^1.2.0":           "1.2.0",
		"~1.1.0":           "1.1.0",
		"~>1.1":            "1.1.0",
		">=1.2.0":          "1.2.0",
		">= 1.2.0":         "1.2.0",
		">1.2.0":           "1.2.1",
		">1.2":             "1.3.0",
		">1":               "2.0.0",
		"1.x":              "1.0.0",
		"1.2.*":            "1.2.0",
		"1":                "1.0.0",
		"=1.2.3":           "1.2.3",
		">=1.2.0 <2.0.0":   "1.2.0",
		"<2.0.0":           "0.0.0",
		"<=1.3.0 >=1.1.2":  "1.1.2",
		"1.2.3 - 2.0.0":    "1.2.3",
		"1.1 - 2":          "1.1.0",
		"^2.0.0 || ^1.2.0": "1.2.0",
		"^1.2.0-beta.1":    "1.2.0",
	}
	for in, want := range tests {
		n, ok := lowestOfRange(in)
		if !ok || versionOf(n, "", false).String() != want {
			t.Errorf("lowestOfRange(%q) = %v, %v; want %s", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "*", "x", "latest", "next", "github:twilio/x", "file:../rh", "npm:@twilio/runtime-handler@1.2.0",
		"https://x/y.tgz", ">=", "1.2.3.4", "!1.2.0"} {
		if n, ok := lowestOfRange(in); ok {
			t.Errorf("lowestOfRange(%q) = %v, want no version", in, n)
		}
	}
}

func TestHandlerVersion_AtLeast_R74(t *testing.T) {
	v := HandlerVersion{Major: 1, Minor: 2, Patch: 3}
	tests := []struct {
		a, b, c int
		want    bool
	}{
		{1, 2, 3, true}, {1, 2, 2, true}, {1, 2, 4, false}, {1, 1, 9, true}, {1, 3, 0, false},
		{0, 9, 9, true}, {2, 0, 0, false},
	}
	for _, tt := range tests {
		if got := v.AtLeast(tt.a, tt.b, tt.c); got != tt.want {
			t.Errorf("1.2.3.AtLeast(%d,%d,%d) = %v, want %v", tt.a, tt.b, tt.c, got, tt.want)
		}
	}
	for _, tt := range []struct {
		v    HandlerVersion
		want bool
	}{
		{HandlerVersion{Major: 1, Minor: 1, Patch: 9}, false},
		{HandlerVersion{Major: 1, Minor: 2}, true},
		{HandlerVersion{Major: 2}, true},
		{HandlerVersion{}, false},
	} {
		if got := tt.v.EventRequest(); got != tt.want {
			t.Errorf("%s.EventRequest() = %v, want %v", tt.v, got, tt.want)
		}
	}
}

func TestVisibilityString_R3(t *testing.T) {
	for v, want := range map[Visibility]string{Public: "public", Protected: "protected", Private: "private", 7: "Visibility(7)"} {
		if got := v.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(v), got, want)
		}
	}
	for k, want := range map[Kind]string{Function: "function", Asset: "asset"} {
		if got := k.String(); got != want {
			t.Errorf("Kind %d = %q, want %q", int(k), got, want)
		}
	}
}
