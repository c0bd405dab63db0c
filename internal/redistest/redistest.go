// Package redistest starts a real redis-server for a test: Debian's
// /usr/bin/redis-server, bound to 127.0.0.1 only, on a free port, with its
// files in the test's temporary directory, stopped when the test ends.
// Its users are the tests of the Redis queue (relay/queue) and of the
// relay running on it.
//
// When redis-server is missing, Start skips the test, or fails it when
// the CI environment variable is set (CI must never pass by skipping).
package redistest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmhook/wasmhook/internal/testmod"
)

// Binary is the server Start runs.
const Binary = "/usr/bin/redis-server"

// InstallHint is the command that installs Binary, pinned as the Makefile
// pins it.
const InstallHint = "apt-get install -y redis-server=5:7.0.15-1~deb12u10"

// readyWait bounds how long Start and Restart wait for the server to
// answer PING: far above a start on a loaded machine, far below a hung
// test's timeout.
const readyWait = 15 * time.Second

type config struct {
	appendOnly bool
	fsync      string
	password   string
	tls        bool
}

// Option changes how Start configures the server.
type Option func(*config)

// NoAppendOnly turns the append-only file off: a restarted server starts
// empty.
func NoAppendOnly() Option { return func(c *config) { c.appendOnly = false } }

// AppendFsync sets appendfsync ("always" by default; "everysec", "no").
func AppendFsync(mode string) Option { return func(c *config) { c.fsync = mode } }

// Password makes the server require a password (requirepass).
func Password(p string) Option { return func(c *config) { c.password = p } }

// TLS makes the server speak TLS only, with a certificate for 127.0.0.1
// signed by a CA made for the test ([Server.TLSConfig] trusts it).
func TLS() Option { return func(c *config) { c.tls = true } }

// Server is one redis-server process and its directory.
type Server struct {
	t    testing.TB
	cfg  config
	dir  string
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	ca   *x509.CertPool
}

// Start starts a server for t, ready when it returns, and stops it in
// t.Cleanup. By default the append-only file is on with appendfsync
// always: an acknowledged write survives a SIGKILL of the server.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	if _, err := os.Stat(Binary); err != nil {
		msg := fmt.Sprintf("redistest: %s is missing (install it: %s)", Binary, InstallHint)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{t: t, cfg: config{appendOnly: true, fsync: "always"}, dir: t.TempDir()}
	for _, o := range opts {
		o(&s.cfg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: finding a free port: %v", err)
	}
	s.port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	if s.cfg.tls {
		s.makeCerts()
	}
	s.writeConfig()
	t.Cleanup(s.stop)
	s.start()
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// URL is the server's URL, database 0, without the password:
// redis://127.0.0.1:PORT/0 (rediss:// with TLS).
func (s *Server) URL() string {
	scheme := "redis"
	if s.cfg.tls {
		scheme = "rediss"
	}
	return scheme + "://" + s.Addr() + "/0"
}

// Dir is the server's directory (its log, redis.log, and its
// append-only files).
func (s *Server) Dir() string { return s.dir }

// TLSConfig is a client configuration that trusts the server's
// certificate (nil without the TLS option).
func (s *Server) TLSConfig() *tls.Config {
	if s.ca == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.ca, MinVersion: tls.VersionTLS12}
}

// Kill stops the server with SIGKILL, as a crash would, and waits for it
// to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Freeze stops the server with SIGSTOP: connections stay open and
// nothing answers, as with a hung server or a lost network. Thaw
// resumes it.
func (s *Server) Freeze() { s.signal(sigStop) }

// Thaw resumes a server stopped by Freeze (SIGCONT).
func (s *Server) Thaw() { s.signal(sigCont) }

func (s *Server) signal(sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sig == nil {
		s.t.Fatal("redistest: Freeze and Thaw need SIGSTOP and SIGCONT")
	}
	if s.cmd != nil {
		s.cmd.Process.Signal(sig)
	}
}

// Restart starts the server again on the same port and directory (killing
// it first if it runs): with the append-only file on, it replays it.
func (s *Server) Restart() {
	s.t.Helper()
	s.Kill()
	s.start()
}

func (s *Server) stop() {
	s.Kill()
}

func (s *Server) confPath() string { return filepath.Join(s.dir, "redis.conf") }
func (s *Server) logPath() string  { return filepath.Join(s.dir, "redis.log") }

// writeConfig writes redis.conf in the server's directory: nothing is
// read from or written to /etc/redis.
func (s *Server) writeConfig() {
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	lines := []string{
		"bind 127.0.0.1",
		"protected-mode yes",
		"daemonize no",
		"supervised no",
		"dir " + s.dir,
		"logfile " + s.logPath(),
		"loglevel notice",
		`save ""`,
		"appendonly " + yes(s.cfg.appendOnly),
		"appendfsync " + s.cfg.fsync,
		"databases 16",
	}
	if s.cfg.tls {
		lines = append(lines, "port 0", "tls-port "+strconv.Itoa(s.port),
			"tls-cert-file "+filepath.Join(s.dir, "server.crt"),
			"tls-key-file "+filepath.Join(s.dir, "server.key"),
			"tls-ca-cert-file "+filepath.Join(s.dir, "ca.crt"),
			"tls-auth-clients no")
	} else {
		lines = append(lines, "port "+strconv.Itoa(s.port))
	}
	if s.cfg.password != "" {
		lines = append(lines, "requirepass "+s.cfg.password)
	}
	if err := os.WriteFile(s.confPath(), []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
}

func (s *Server) start() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(Binary, s.confPath())
	cmd.Dir = s.dir
	testmod.DiesWithTest(cmd)
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("redistest: starting %s: %v", Binary, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	deadline := time.Now().Add(readyWait)
	var last error
	for {
		if last = s.ping(); last == nil {
			return
		}
		select {
		case <-done:
			s.cmd = nil
			s.t.Fatalf("redistest: redis-server exited at start (%v); its log:\n%s", cmd.ProcessState, s.log())
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			s.cmd = nil
			s.t.Fatalf("redistest: redis-server on %s did not answer PING within %v (last: %v); its log:\n%s", s.Addr(), readyWait, last, s.log())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ping sends PING (after AUTH when a password is set) and wants +PONG: a
// server still loading its append-only file answers -LOADING.
func (s *Server) ping() error {
	conn, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return err
	}
	if s.cfg.tls {
		conn = tls.Client(conn, &tls.Config{RootCAs: s.ca, ServerName: "127.0.0.1"})
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	r := bufio.NewReader(conn)
	if s.cfg.password != "" {
		if _, err := fmt.Fprintf(conn, "*2\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n", len(s.cfg.password), s.cfg.password); err != nil {
			return err
		}
		if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
			return fmt.Errorf("AUTH: %q %v", strings.TrimSpace(line), err)
		}
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING: %q", strings.TrimSpace(line))
	}
	return nil
}

// log returns the server's log, the end of it when long.
func (s *Server) log() string {
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 8<<10 {
		b = b[len(b)-8<<10:]
	}
	return string(b)
}

// makeCerts writes a CA and a server certificate for 127.0.0.1 signed by
// it into the server's directory.
func (s *Server) makeCerts() {
	fail := func(err error) {
		if err != nil {
			s.t.Fatalf("redistest: making TLS certificates: %v", err)
		}
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fail(err)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "redistest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	fail(err)
	caCert, err := x509.ParseCertificate(caDER)
	fail(err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fail(err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	fail(err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	fail(err)
	write := func(name, typ string, b []byte) {
		fail(os.WriteFile(filepath.Join(s.dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
	}
	write("ca.crt", "CERTIFICATE", caDER)
	write("server.crt", "CERTIFICATE", der)
	write("server.key", "EC PRIVATE KEY", keyDER)
	s.ca = x509.NewCertPool()
	s.ca.AddCert(caCert)
}
