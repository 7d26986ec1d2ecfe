package project

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseDotenv_R31(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []EnvVar
	}{
		{"empty", "", nil},
		{"simple", "A=b\nC=d\n", []EnvVar{{"A", "b"}, {"C", "d"}}},
		{"blanks around key and =", "  A  =   b  ", []EnvVar{{"A", "b"}}},
		{"key characters", "a.b-c_1=x", []EnvVar{{"a.b-c_1", "x"}}},
		{"empty value", "A=\nB=  ", []EnvVar{{"A", ""}, {"B", ""}}},
		{"comments and blank lines", "# c\n\n  # indented\nA=b\n \t \n", []EnvVar{{"A", "b"}}},
		{"no inline comments in dotenv 6", "A=b # not a comment", []EnvVar{{"A", "b # not a comment"}}},
		{"hash inside value", "URL=http://x/#frag", []EnvVar{{"URL", "http://x/#frag"}}},
		{"equals in value", "A==b=c", []EnvVar{{"A", "=b=c"}}},
		{"no expansion", "A=x\nB=$A ${A}", []EnvVar{{"A", "x"}, {"B", "$A ${A}"}}},
		{"double quotes expand \\n", `A="x\ny"`, []EnvVar{{"A", "x\ny"}}},
		{"single quotes keep \\n", `A='x\ny'`, []EnvVar{{"A", `x\ny`}}},
		{"unquoted keeps \\n", `A=x\ny`, []EnvVar{{"A", `x\ny`}}},
		{"other escapes kept", `A="a\tb\"c"`, []EnvVar{{"A", `a\tb\"c`}}},
		{"quoted value is trimmed (dotenv 6)", `A=" a "`, []EnvVar{{"A", "a"}}},
		{"unbalanced quotes removed (dotenv 6)", `A="a'`, []EnvVar{{"A", "a"}}},
		{"lone quote", `A="`, []EnvVar{{"A", ""}}},
		{"empty quotes", `A=""`, []EnvVar{{"A", ""}}},
		{"inner quotes kept", `A="a"b"`, []EnvVar{{"A", `a"b`}}},
		// The captured value keeps trailing blanks, so the closing quote is
		// not at the end and survives.
		{"blanks after closing quote", `A="hello"  `, []EnvVar{{"A", `hello"`}}},
		{"CRLF", "A=b\r\nC=\"d\"\r\n", []EnvVar{{"A", "b"}, {"C", "d"}}},
		{"CR right after =", "A=\rb", []EnvVar{{"A", "b"}}},
		{"BOM is blank", "\ufeffA=b", []EnvVar{{"A", "b"}}},
		{"unicode blanks trimmed", "A=\u00a0b\u3000", []EnvVar{{"A", "b"}}},
		{"later assignment wins, first position kept", "A=1\nB=2\nA=3", []EnvVar{{"A", "3"}, {"B", "2"}}},
		{"invalid UTF-8 becomes U+FFFD", "A=\xffb", []EnvVar{{"A", "\uFFFDb"}}},
		{"case-sensitive keys", "a=1\nA=2", []EnvVar{{"a", "1"}, {"A", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDotenv([]byte(tt.in))
			if err != nil {
				t.Fatalf("ParseDotenv(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseDotenv(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Lines dotenv 6 silently ignores are errors here, naming the line.
func TestParseDotenv_Errors_R31(t *testing.T) {
	tests := []struct {
		name, in string
		msg      []string
	}{
		{"no =", "A=b\nTYPO\n", []string{"line 2:", `no "="`}},
		{"export prefix", "# x\n\nexport A=b", []string{"line 3:", `remove "export "`}},
		{"space in key", "MY KEY=v", []string{"line 1:", "invalid key"}},
		{"empty key", "=v", []string{"line 1:", "invalid key"}},
		{"non-ASCII key", "CLÉ=v", []string{"line 1:", "invalid key"}},
		{"colon syntax", "A: b", []string{"line 1:", `no "="`}},
		{"CR inside value", "A=b\rc", []string{"line 1:", "carriage return"}},
		{"line separator inside value", "A=b\u2028c", []string{"line 1:", "line separator"}},
		{"several bad lines", "X\nY\nA=b\nZ", []string{"line 1:", "2 more bad lines"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := ParseDotenv([]byte(tt.in))
			if err == nil {
				t.Fatalf("ParseDotenv(%q) = %q, want an error", tt.in, env)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
		})
	}
}

// A rejected line may hold a secret; the error must not echo it.
func TestParseDotenv_ErrorHidesLine_R31(t *testing.T) {
	_, err := ParseDotenv([]byte("ACCOUNT_SID=AC1\nSECRET_TOKEN_1234\n"))
	if err == nil || strings.Contains(err.Error(), "SECRET_TOKEN_1234") {
		t.Fatalf("error = %v; want an error that does not quote the line", err)
	}
}

func FuzzParseDotenv(f *testing.F) {
	for _, s := range []string{"A=b", "A=\"x\\ny\"\nB='c'", "# c\n\nA = b ", "A=b\r\nC=d", "export A=b", "A=\"hello\"  ", "\ufeffA=\u2028", "A=\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := ParseDotenv(data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line number: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, v := range env {
			if v.Key == "" {
				t.Fatalf("empty key in %q", env)
			}
			for i := 0; i < len(v.Key); i++ {
				if !isKeyByte(v.Key[i]) {
					t.Fatalf("key %q has byte %q", v.Key, v.Key[i])
				}
			}
			if seen[v.Key] {
				t.Fatalf("key %q listed twice", v.Key)
			}
			seen[v.Key] = true
			if strings.TrimFunc(v.Value, isJSSpace) != v.Value {
				t.Fatalf("value %q of %s is not trimmed", v.Value, v.Key)
			}
		}
		// Parsing a rendering of the result gives the result back, for
		// values that dotenv 6 can represent (single-quoted, no quote at
		// either end, no newline).
		var b strings.Builder
		var want []EnvVar
		for _, v := range env {
			if strings.ContainsAny(v.Value, "\n\r\u2028\u2029") || strings.ContainsAny(v.Value[:min(1, len(v.Value))], `'"`) {
				continue
			}
			b.WriteString(v.Key + "='" + v.Value + "'\n")
			want = append(want, v)
		}
		again, err := ParseDotenv([]byte(b.String()))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", b.String(), err)
		}
		if len(again) != len(want) {
			t.Fatalf("re-parse of %q = %q, want %q", b.String(), again, want)
		}
		for i := range want {
			if again[i] != want[i] {
				t.Fatalf("re-parse of %q = %q, want %q", b.String(), again, want)
			}
		}
	})
}
