package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestByteSize(t *testing.T) {
	cases := map[string]int64{"15KB": 15360, "1MB": 1 << 20, "4mb": 4 << 20, "1048576": 1048576, "2G": 2 << 30, "10 KB": 10240}
	for in, want := range cases {
		var b byteSize
		if err := b.UnmarshalText([]byte(in)); err != nil || int64(b) != want {
			t.Errorf("%q → %d, %v; want %d", in, b, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "-1KB", "1.5MB", "lots"} {
		var b byteSize
		if err := b.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q must be refused", bad)
		}
	}
}

func TestFlagsToConfig(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"serve", "--help"}, &stdout, &stderr, 2); code != 0 {
		t.Fatalf("--help exit %d: %s", code, stderr.String())
	}
	for _, flag := range []string{"--timeout", "--max-header-bytes", "--max-headers", "--max-body", "--max-response-body", "--max-inflight", "--worker-memory", "--cookie-rules", "--public-url", "--trust-proxy", "--unprotected", "--allow-methods"} {
		if !strings.Contains(stdout.String(), flag) {
			t.Errorf("serve --help does not list %s", flag)
		}
	}

	var f ServeFlags
	f.Timeout, f.MaxHeaderBytes, f.MaxBody, f.CookieRules, f.AllowMethods = 3*time.Second, 1024, 2048, "off", []string{"put", " delete "}
	f.PublicURL = "https://hooks.example.com"
	cfg, err := f.config(true)
	if err != nil {
		t.Fatal(err)
	}
	g := cfg.Gateway
	if !g.Dev || g.Timeout != 3*time.Second || g.MaxHeaderBytes != 1024 || g.MaxBody != 2048 || g.CookieRules ||
		strings.Join(g.AllowMethods, ",") != "PUT,DELETE" || g.PublicURL.String() != "https://hooks.example.com" {
		t.Fatalf("config = %+v", g)
	}
	for _, bad := range []func(*ServeFlags){
		func(f *ServeFlags) { f.PublicURL = "hooks.example.com" },
		func(f *ServeFlags) { f.PublicURL = "https://x.test/base" },
		func(f *ServeFlags) { f.Timeout = 0 },
		func(f *ServeFlags) { f.AllowMethods = []string{"TRACE"} },
		func(f *ServeFlags) { f.Port = 70000 },
	} {
		f := ServeFlags{Timeout: time.Second}
		bad(&f)
		if _, err := f.config(false); err == nil {
			t.Errorf("flags %+v must be refused", f)
		}
	}
}

// buildAhoy compiles the binary once per test run.
func buildAhoy(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ahoy")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestGracefulShutdown sends SIGTERM while requests are in flight: every
// request the server accepted gets a complete response, and ahoy exits 0.
func TestGracefulShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildAhoy(t)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "functions"), 0o755); err != nil {
		t.Fatal(err)
	}
	fn := `exports.handler = (c, e, cb) => { console.log('started ' + e.n); setTimeout(() => cb(null, {n: e.n, pad: 'x'.repeat(2000)}), 300); };`
	if err := os.WriteFile(filepath.Join(dir, "functions", "slow.js"), []byte(fn), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--port", "0", "--workers", "2", "--max-inflight", "0", dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no startup line: %v\n%s", err, stderr.String())
	}
	addr := regexp.MustCompile(`http://[0-9.:]+`).FindString(line)
	if addr == "" || !strings.Contains(line, "1 Functions") {
		t.Fatalf("startup line %q", line)
	}
	go io.Copy(io.Discard, stdout)

	client := &http.Client{Timeout: 20 * time.Second}
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		completed, refused int
		broken             []string
		unanswered         = map[int]string{} // requests with no response at all
	)
	for i := range 60 {
		wg.Go(func() {
			time.Sleep(time.Duration(i%20) * 10 * time.Millisecond)
			resp, err := client.Get(fmt.Sprintf("%s/slow?n=%d", addr, i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				var op *net.OpError
				if errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial") {
					refused++ // not accepted: the listener was already closed
					return
				}
				// A connection still in the kernel's backlog when the
				// listener closes is reset before Ahoy ever sees it; the
				// log below tells those from requests Ahoy dropped.
				unanswered[i] = err.Error()
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != 200 || !bytes.Contains(b, []byte(fmt.Sprintf(`"n":"%d"`, i))) || int64(len(b)) != resp.ContentLength {
				broken = append(broken, fmt.Sprintf("n=%d: %d %v %d bytes", i, resp.StatusCode, err, len(b)))
				return
			}
			completed++
		})
	}
	time.Sleep(120 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	err = cmd.Wait()
	if err != nil {
		t.Fatalf("ahoy exited with %v\n%s", err, stderr.String())
	}
	for n, why := range unanswered {
		if strings.Contains(stderr.String(), fmt.Sprintf(`"msg":"started %d"`, n)) {
			broken = append(broken, fmt.Sprintf("n=%d ran but got no response: %s", n, why))
		} else {
			refused++
		}
	}
	if len(broken) > 0 {
		t.Fatalf("%d accepted requests did not get a complete response: %v", len(broken), broken)
	}
	if completed == 0 {
		t.Fatalf("no request completed (refused %d)", refused)
	}
	t.Logf("completed %d, refused after close %d", completed, refused)
}
