package event

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ahoy-run/ahoy/internal/projecttest"
)

// qsDir is the qs copy npm installs for the tests (npm ci in testdata/twilio).
const qsDir = "../../testdata/twilio/node_modules/qs"

// runNode feeds inputs (a JSON array) to a node script on stdin and returns
// its JSON array of outputs, skipping the test when node is unavailable.
func runNode(t *testing.T, script string, inputs any) []string {
	t.Helper()
	var res []string
	projecttest.RunNodeJSON(t, script, nil, inputs, &res)
	return res
}

const nodeReadStdin = `const input = JSON.parse(require('fs').readFileSync(0, 'utf8'));`

// randomFrom concatenates n random tokens.
func randomFrom(r *rand.Rand, tokens []string, n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(tokens[r.IntN(len(tokens))])
	}
	return b.String()
}

var qsTokens = []string{
	"a", "b", "c", "0", "1", "2", "19", "20", "21", "99999999999999999999", "-1", "01",
	"[", "]", "[]", "=", "=", "&", "&", "&", "%5B", "%5d", "%", "%2", "%41", "%C3%A9",
	"%E2%82", "%ZZ", "+", "%20", "__proto__", "toString", "constructor", ".", "x",
	"[0]", "[1]", "[b]", "[21]", "[20]", "[]", "[[", "]]", "]=", "é", "%F0%9F%98%80",
	"%ED%A0%80", "%C0%80", "hasOwnProperty", "NaN", "4294967295", "4294967294",
}

func queryCorpus() []string {
	c := []string{
		"", "a=1", "a=1&a=2", "a[]=1&a[]=2", "a[1]=x", "a[21]=x", "a[20]=x", "a[19]=x",
		"a=1&a[b]=2", "a[b]=1&a=2", "a[b]=1&a=2&a=3", "a[b][c][d][e][f][g][h]=1",
		"a.b=1", "e=&f", "__proto__=1", "a[__proto__]=1", "toString=1", "a[0]=1&a[b]=2",
		"a=%ZZ", "%5Ba%5D=1", "[a]=1", "[]=1", "a[=1", "a]=1", "a[b]c=1", "a[b=c]=1",
		"=x", "&&", "a[][]=1", "b=1&0=2&a=3", "q=hello+world%20x", "a=%41%ZZ",
		"a[21]=x&a[b]=y&a=1", "a=1&a[21]=x", "a[]=1&a[]=2&a[]=3&a[]=4&a[]=5&a[]=6&a[]=7&a[]=8&a[]=9&a[]=10&a[]=11&a[]=12&a[]=13&a[]=14&a[]=15&a[]=16&a[]=17&a[]=18&a[]=19&a[]=20&a[]=21&a[]=22",
		strings.Repeat("x=1&", 25), strings.Repeat("k=v&", 1100) + "last=1",
		"a[0][b]=1&a[0][c]=2&a[1][b]=3", "a[b][]=1&a[b][]=2", "a[0]=x&a[1]=y&a[0]=z",
		"a=b=c", "a=b]=c", "a%5B%5D=1&a%5b%5d=2", "x=%E2%82%AC", "x=%E2%82", "x=%C3%A9%",
	}
	r := rand.New(rand.NewPCG(17, 42))
	for range queryRandomN {
		c = append(c, randomFrom(r, qsTokens, 1+r.IntN(14)))
	}
	return c
}

// TestParseQuery_R17_MatchesQs compares ParseQuery with the real qs on a
// hand-written plus random corpus, byte for byte.
func TestParseQuery_R17_MatchesQs(t *testing.T) {
	if _, err := os.Stat(filepath.Join(qsDir, "package.json")); err != nil {
		t.Skip("qs not installed (run npm ci in testdata/twilio)")
	}
	abs, _ := filepath.Abs(qsDir)
	corpus := queryCorpus()
	want := runNode(t, nodeReadStdin+`const qs = require(`+jsString(abs)+`);
process.stdout.write(JSON.stringify(input.map(s => JSON.stringify(qs.parse(s, {allowPrototypes: true})))));`, corpus)
	fails := 0
	for i, s := range corpus {
		got := string(ParseQuery(s, DefaultQueryLimits()))
		if got != want[i] {
			fails++
			if fails <= 20 {
				t.Errorf("ParseQuery(%q)\n got %s\nwant %s", s, got, want[i])
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d differ", fails, len(corpus))
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// queryRandomN is the number of random query strings; raise it locally to
// hunt for divergences (60000 and longer strings passed when written).
const queryRandomN = 3000

var formTokens = []string{
	"a", "b", "0", "1", "=", "=", "&", "&", "+", "%", "%4", "%41", "%2B", "%26", "%3D",
	"%FF", "%C3", "%C3%A9", "%E4%B8%AD", "%ZZ", "é", "\xff", "\xe2\x82", "中", "😀",
	"[", "]", "z[k]", "__proto__", "constructor", "%F0%9F%98%80", "%ED%A0%80", "\xc3",
}

func formCorpus() [][]byte {
	c := [][]byte{
		nil, []byte("a=1"), []byte("a=1&a=2&a=3"), []byte("z[k]=5"), []byte("q=hello+world"),
		[]byte("a=%ZZ%41"), []byte("é=%FF"), []byte("&&a&&=&"), []byte("=x"), []byte("a"),
		[]byte("x=%E4%B8%AD%"), []byte("中=%C3é"), []byte(strings.Repeat("k=v&", 1200)),
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 4000 {
		c = append(c, []byte(randomFrom(r, formTokens, 1+r.IntN(16))))
	}
	return c
}

// TestParseForm_R18_MatchesNodeQuerystring compares ParseForm with Node's
// querystring.parse as body-parser (extended: false) calls it, including
// the UTF-8 decoding of the body and body-parser's parameter count.
func TestParseForm_R18_MatchesNodeQuerystring(t *testing.T) {
	corpus := formCorpus()
	want := runNode(t, nodeReadStdin+`const querystring = require('querystring');
process.stdout.write(JSON.stringify(input.map(b64 => {
  const s = Buffer.from(b64 || '', 'base64').toString('utf8');
  let count = 0, index = 0;
  while ((index = s.indexOf('&', index)) !== -1) { count++; index++; }
  const obj = s.length ? querystring.parse(s, undefined, undefined, {maxKeys: 1000}) : {};
  return (s.length ? count + 1 : 0) + ' ' + JSON.stringify(obj);
})));`, corpus)
	fails := 0
	for i, b := range corpus {
		obj, n := ParseForm(b, 1000)
		got := strconv.Itoa(n) + " " + string(obj)
		if got != want[i] {
			fails++
			if fails <= 20 {
				t.Errorf("ParseForm(%q)\n got %s\nwant %s", b, got, want[i])
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d differ", fails, len(corpus))
	}
}

// TestDecodeURIComponent_R25_MatchesJavaScript checks the URI decoder the
// cookie, qs and form parsers share against JavaScript's own.
func TestDecodeURIComponent_R25_MatchesJavaScript(t *testing.T) {
	var corpus []string
	r := rand.New(rand.NewPCG(8, 9))
	toks := []string{"a", "%", "%4", "%41", "%C3", "%A9", "%C3%A9", "%E2%82%AC", "%E2%82", "%ED%A0%80",
		"%F0%9F%98%80", "%F4%90%80%80", "%C0%80", "%EF%BF%BD", "%FF", "%80", "é", "%2", "%zz", "+"}
	for range 3000 {
		corpus = append(corpus, randomFrom(r, toks, 1+r.IntN(6)))
	}
	want := runNode(t, nodeReadStdin+`
process.stdout.write(JSON.stringify(input.map(s => { try { return 'ok ' + decodeURIComponent(s); } catch (e) { return 'throws'; } })));`, corpus)
	for i, s := range corpus {
		got := "throws"
		if d, ok := decodeURIComponent(s); ok {
			got = "ok " + d
		}
		if got != want[i] {
			t.Errorf("decodeURIComponent(%q) = %q, want %q", s, got, want[i])
		}
	}
}
