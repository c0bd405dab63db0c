// Command serve-demo shows wasmhook serve at work on one machine: it
// starts a receiver on 127.0.0.1, starts `wasmhook serve` on the example
// modules with a throwaway data directory, posts a bundled NetBox event
// signed as NetBox signs it, prints the enriched delivery the receiver
// got (and whether its signature verifies), then stops the relay.
//
//	go run ./examples/serve-demo --wasmhook bin/wasmhook --modules bin/demo-modules
//
// (make serve-demo does exactly this.)
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/wasmhook/wasmhook"
)

func main() {
	bin := flag.String("wasmhook", "bin/wasmhook", "the wasmhook command")
	modules := flag.String("modules", "bin/demo-modules", "the modules directory")
	event := flag.String("event", "testdata/netbox/signature-vector.txt", "a NetBox body (the first line of the file)")
	flag.Parse()
	if err := run(*bin, *modules, *event); err != nil {
		fmt.Fprintln(os.Stderr, "serve-demo:", err)
		os.Exit(1)
	}
}

func run(bin, modules, eventFile string) error {
	raw, err := os.ReadFile(eventFile)
	if err != nil {
		return err
	}
	body, _, _ := bytes.Cut(raw, []byte("\n"))

	// The receiver: it prints what it gets.
	got := make(chan *http.Request, 1)
	gotBody := make(chan []byte, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		gotBody <- b
	}))

	data, err := os.MkdirTemp("", "wasmhook-serve-demo")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	config := filepath.Join(data, "wasmhook-serve.yaml")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`listen: 127.0.0.1:0
data_dir: %s
modules: %s
sources:
  netbox: {secret: {value: s3cr3t}}
destinations:
  receiver:
    url: http://%s/
    sign: {netbox: {value: receiver-secret}}
`, filepath.Join(data, "data"), modules, ln.Addr())), 0o600); err != nil {
		return err
	}
	fmt.Printf("$ %s serve --config %s\n", bin, config)
	cmd := exec.Command(bin, "serve", "--config", config)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer cmd.Process.Kill()
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`url=(\S+)`)
		for sc.Scan() {
			fmt.Println("  " + sc.Text())
			if m := re.FindStringSubmatch(sc.Text()); m != nil && strings.Contains(sc.Text(), "listening") {
				listening <- m[1]
			}
		}
	}()
	var url string
	select {
	case url = <-listening:
	case <-time.After(60 * time.Second):
		return fmt.Errorf("wasmhook serve did not start")
	}

	fmt.Printf("\n$ curl -X POST %s/hooks/netbox -H 'X-Hook-Signature: %.16s...' --data @netbox-body.json\n", url, wasmhook.Sign("s3cr3t", body))
	req, _ := http.NewRequest(http.MethodPost, url+"/hooks/netbox", bytes.NewReader(body))
	req.Header.Set(wasmhook.SignatureHeader, wasmhook.Sign("s3cr3t", body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Printf("%s %s\n", resp.Status, answer)

	select {
	case r := <-got:
		b := <-gotBody
		var indented bytes.Buffer
		json.Indent(&indented, b, "", "  ")
		fmt.Printf("\nthe receiver got, signed (X-Hook-Signature verifies: %v):\n%s\n\n", wasmhook.Verify("receiver-secret", b, r.Header.Get(wasmhook.SignatureHeader)), indented.String())
	case <-time.After(30 * time.Second):
		return fmt.Errorf("nothing was delivered")
	}
	cmd.Process.Signal(syscall.SIGTERM)
	return cmd.Wait()
}
