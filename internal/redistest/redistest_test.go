package redistest_test

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/wasmhook/wasmhook/internal/redistest"
)

// do sends one command in RESP and returns the first line of the reply.
func do(t *testing.T, addr string, args ...string) (string, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return "", err
	}
	r := bufio.NewReader(conn)
	line, err := r.ReadString('\n')
	if strings.HasPrefix(line, "$") && !strings.HasPrefix(line, "$-1") {
		line, err = r.ReadString('\n')
	}
	return strings.TrimSpace(line), err
}

// TestKillRestart: a write acknowledged before a SIGKILL is there after
// Restart (appendfsync always), on the same address; the server is
// unreachable in between.
func TestKillRestart(t *testing.T) {
	s := redistest.Start(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.URL() != "redis://"+s.Addr()+"/0" {
		t.Fatalf("Addr %q URL %q", s.Addr(), s.URL())
	}
	if got, err := do(t, s.Addr(), "SET", "k", "v"); err != nil || got != "+OK" {
		t.Fatalf("SET: %q %v", got, err)
	}
	s.Kill()
	if _, err := do(t, s.Addr(), "PING"); err == nil {
		t.Fatal("the killed server still answers")
	}
	s.Restart()
	if got, err := do(t, s.Addr(), "GET", "k"); err != nil || got != "v" {
		t.Fatalf("GET after restart: %q %v, want v", got, err)
	}
}

// TestNoAppendOnly: without the append-only file a restart starts empty.
func TestNoAppendOnly(t *testing.T) {
	s := redistest.Start(t, redistest.NoAppendOnly())
	if got, err := do(t, s.Addr(), "SET", "k", "v"); err != nil || got != "+OK" {
		t.Fatalf("SET: %q %v", got, err)
	}
	s.Restart()
	if got, err := do(t, s.Addr(), "EXISTS", "k"); err != nil || got != ":0" {
		t.Fatalf("EXISTS after restart: %q %v, want :0", got, err)
	}
}
