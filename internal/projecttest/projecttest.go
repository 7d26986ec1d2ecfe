// Package projecttest writes throwaway Twilio Functions projects for tests.
package projecttest

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// New writes files into a fresh temporary directory and returns it.
func New(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	Write(t, dir, files)
	return dir
}

// Write creates each file (slash-separated name relative to dir → content),
// with its directories; a name ending in "/" makes an empty directory.
func Write(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TwilioModules returns the repository's npm install of the twilio package
// (testdata/twilio/node_modules), skipping the test when it is missing.
func TwilioModules(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the projecttest package")
	}
	p := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "twilio", "node_modules")
	if _, err := os.Stat(filepath.Join(p, "twilio", "package.json")); err != nil {
		t.Skip("testdata/twilio/node_modules is missing: run ./test.sh (it runs npm ci there)")
	}
	return p
}

// LinkTwilio makes the twilio package resolvable from the project in dir.
func LinkTwilio(t testing.TB, dir string) {
	t.Helper()
	if err := os.Symlink(TwilioModules(t), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
}

// SMSWebhook is the form body (or query string) of a typical Twilio
// messaging webhook: 25 parameters, a Body with spaces, punctuation and
// percent-encoded UTF-8 (an accented letter and an emoji).
const SMSWebhook = "ToCountry=US&ToState=CA&SmsMessageSid=SM0123456789abcdef0123456789abcdef&" +
	"NumMedia=0&ToCity=SAN+FRANCISCO&FromZip=94105&SmsSid=SM0123456789abcdef0123456789abcdef&" +
	"FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO&" +
	"Body=Hi+J%C3%B6rg%2C+see+you+at+5%3A30%3F+%F0%9F%91%8B+%26+thanks%21&" +
	"FromCountry=US&To=%2B15551234567&MessagingServiceSid=MG0123456789abcdef0123456789abcdef&" +
	"ToZip=94105&NumSegments=1&MessageSid=SM0123456789abcdef0123456789abcdef&" +
	"AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15557654321&ApiVersion=2010-04-01&" +
	"ReferralNumMedia=0&Direction=inbound&CallerName=&ProfileName=J%C3%B6rg&WaId="

// RunNodeJSON runs `node -e script args...` with in as JSON on its standard
// input and decodes its standard output, JSON, into out: the harness of the
// differential tests against the real JavaScript code. The test is skipped
// when node is not on PATH.
func RunNodeJSON(t testing.TB, script string, args []string, in, out any) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH")
	}
	input, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, append([]string{"-e", script}, args...)...)
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	if err := json.Unmarshal(stdout, out); err != nil {
		t.Fatalf("node output: %v\n%s", err, stdout)
	}
}
