package registry

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook/internal/egress"
	"github.com/wasmhook/wasmhook/runtime"
)

// HTTPSettings are what a module's http_request may reach (abi/SPEC.md,
// "Lookups"). Nothing is allowed without a grant. In a settings file:
//
//	http:
//	  grants:
//	    - prefix: https://netbox.example.com/api/
//	      headers: {Authorization: "Token ${NETBOX_TOKEN}"}
//	      networks: [10.0.0.0/8]    # non-public addresses it may reach
//	      cache_ttl: 1m             # GET responses cached that long
//	  timeout: 2s
//	  max_response: 1MiB
//	  max_requests: 4
type HTTPSettings struct {
	// Grants are the URL prefixes the module may call.
	Grants []Grant `yaml:"grants"`
	// Timeout bounds one request, redirects included (default 5s); the
	// call's own time limit bounds it too.
	Timeout time.Duration `yaml:"timeout"`
	// MaxResponse bounds a response's body (default 1 MiB).
	MaxResponse runtime.Bytes `yaml:"max_response"`
	// MaxRequests bounds the requests of one call, cached answers
	// included (default 8).
	MaxRequests int `yaml:"max_requests"`
}

// Grant lets a module call the URLs under Prefix.
type Grant struct {
	// Prefix is scheme://host[:port]/path, http or https: a URL is under
	// it when its scheme, host and port are the same and its path is the
	// prefix's or goes on from it past a "/".
	Prefix string `yaml:"prefix"`
	// Headers are set on every request under Prefix, over the module's
	// own; the module never sees their values. In a value, ${NAME} is
	// the environment variable NAME and ${file:/path} the content of a
	// file (its final newline dropped), resolved when the module loads:
	// an unset variable or an unreadable file fails the load.
	Headers map[string]string `yaml:"headers"`
	// Networks are the non-public networks (CIDRs, or single addresses)
	// requests under Prefix may reach: loopback, private, link-local
	// (cloud metadata) and the like are refused unless named here.
	Networks []string `yaml:"networks"`
	// CacheTTL caches GET responses that long at most (less when the
	// response's Cache-Control says less); 0 caches nothing.
	CacheTTL time.Duration `yaml:"cache_ttl"`
}

// KVSettings bound a module's key-value store.
type KVSettings struct {
	// MaxBytes bounds the module's keys and values together (default
	// 1 MiB, the store's bound).
	MaxBytes runtime.Bytes `yaml:"max_bytes"`
}

// maxSecretFile bounds a ${file:...} a header value reads.
const maxSecretFile = 64 << 10

var secretRef = regexp.MustCompile(`\$\{([^}]*)\}`)

// lookupEnv is os.LookupEnv, swapped in tests.
var lookupEnv = os.LookupEnv

// policy resolves h for the module name into what the runtime uses. An
// error names the module and the key at fault, never a secret's value.
func (h *HTTPSettings) policy(name string) (*egress.Policy, error) {
	if h == nil {
		return nil, nil
	}
	p := &egress.Policy{Timeout: h.Timeout, MaxResponse: int64(h.MaxResponse), MaxRequests: h.MaxRequests}
	for i, g := range h.Grants {
		key := fmt.Sprintf("modules.%s.http.grants[%d]", name, i)
		eg := egress.Grant{Prefix: g.Prefix, CacheTTL: g.CacheTTL}
		if len(g.Headers) > 0 {
			eg.Headers = make(map[string]string, len(g.Headers))
		}
		for k, v := range g.Headers {
			val, err := expandSecrets(v)
			if err != nil {
				return nil, fmt.Errorf("%s.headers.%s: %w", key, k, err)
			}
			eg.Headers[k] = val
		}
		for _, n := range g.Networks {
			pfx, err := netip.ParsePrefix(n)
			if err != nil {
				addr, aerr := netip.ParseAddr(n)
				if aerr != nil {
					return nil, fmt.Errorf("%s.networks: %q is not a CIDR or an address", key, n)
				}
				pfx = netip.PrefixFrom(addr, addr.BitLen())
			}
			eg.Networks = append(eg.Networks, pfx.Masked())
		}
		p.Grants = append(p.Grants, eg)
	}
	return p, nil
}

// expandSecrets replaces ${NAME} and ${file:/path} in v.
func expandSecrets(v string) (string, error) {
	var err error
	out := secretRef.ReplaceAllStringFunc(v, func(ref string) string {
		if err != nil {
			return ""
		}
		name := ref[2 : len(ref)-1]
		if path, ok := strings.CutPrefix(name, "file:"); ok {
			b, rerr := readRegular(path, maxSecretFile, "a secret file", 0, nil)
			if rerr != nil {
				err = fmt.Errorf("${file:%s}: %w", path, rerr)
				return ""
			}
			return string(bytes.TrimRight(b, "\r\n"))
		}
		val, ok := lookupEnv(name)
		if !ok || name == "" {
			err = fmt.Errorf("${%s}: the environment variable is not set", name)
			return ""
		}
		return val
	})
	return out, err
}

// sameHTTP reports whether two modules' HTTP settings are the same.
func sameHTTP(a, b *HTTPSettings) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Timeout == b.Timeout && a.MaxResponse == b.MaxResponse && a.MaxRequests == b.MaxRequests &&
		slices.EqualFunc(a.Grants, b.Grants, func(x, y Grant) bool {
			if x.Prefix != y.Prefix || x.CacheTTL != y.CacheTTL || !slices.Equal(x.Networks, y.Networks) || len(x.Headers) != len(y.Headers) {
				return false
			}
			for k, v := range x.Headers {
				if w, ok := y.Headers[k]; !ok || w != v {
					return false
				}
			}
			return true
		})
}
