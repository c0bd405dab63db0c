package relay

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/wasmhook/wasmhook"
	"github.com/wasmhook/wasmhook/internal/strictyaml"
)

// Config is wasmhook serve's configuration file. Every key is documented
// on its field; the file is strict (an unknown key, a key given twice, a
// value of the wrong kind is an error naming the file, the key and the
// line).
//
//	listen: 127.0.0.1:8080
//	data_dir: /var/lib/wasmhook
//	modules: /etc/wasmhook/modules
//	sources:
//	  netbox: {secret: {env: NETBOX_WEBHOOK_SECRET}}
//	destinations:
//	  inventory:
//	    url: https://inventory.example/hooks/netbox
//	    sign: {standard: {file: /run/secrets/inventory-whsec}}
type Config struct {
	// File is the configuration file, for errors; not a key.
	File string `yaml:"-"`
	// Listen is the address to serve on. Default 127.0.0.1:8080.
	Listen string `yaml:"listen"`
	// DataDir holds the embedded queue (queue.db) and the compiled
	// modules. Required.
	DataDir string `yaml:"data_dir"`
	// Queue is where accepted events wait for delivery: "" (the default)
	// for the embedded queue in DataDir, or a Redis shared by several
	// instances, redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] (rediss:// for
	// TLS). Give the password in Redis.Password rather than in the URL.
	Queue string `yaml:"queue"`
	// Redis tunes the Redis queue.
	Redis RedisConfig `yaml:"redis"`
	// Retention is how long an event stays in the queue once every
	// delivery of it is delivered (for `wasmhook queue show`); then it
	// is deleted. Dead deliveries stay until replayed or purged.
	// Default 168h (7 days).
	Retention time.Duration `yaml:"retention"`
	// Modules is the modules directory, watched for changes; "" runs no
	// module (the relay then only queues and delivers).
	Modules string `yaml:"modules"`
	// MaxBody bounds a request's body: larger ones get 413. Default 1MiB.
	MaxBody wasmhook.Bytes `yaml:"max_body"`
	// TLS serves HTTPS from a certificate and a key file.
	TLS TLS `yaml:"tls"`
	// Server bounds what one client can hold.
	Server ServerLimits `yaml:"server"`
	// Sources are the ingress sources: POST /hooks/{name}.
	Sources map[string]Source `yaml:"sources"`
	// Destinations are where every accepted event is delivered (those
	// whose filter it passes).
	Destinations map[string]Destination `yaml:"destinations"`
	// Console is the operator's console under /console/, off unless it
	// has a token (ConsoleConfig).
	Console ConsoleConfig `yaml:"console"`
}

// RedisConfig tunes the Redis queue (Config.Queue).
type RedisConfig struct {
	// Password authenticates to Redis, in place of one in the URL.
	Password Secret `yaml:"password"`
	// Prefix begins every key the queue uses. Default "wasmhook:".
	// Instances share a queue when they share the server and the prefix.
	Prefix string `yaml:"prefix"`
	// Timeout bounds connecting and each command: with Redis away, a
	// request gets 503 within about that. Default 3s.
	Timeout time.Duration `yaml:"timeout"`
}

// TLS is a certificate and its key, PEM files.
type TLS struct {
	Cert string `yaml:"cert"`
	Key  string `yaml:"key"`
}

// ServerLimits keep a slow or flooding client from exhausting the service.
type ServerLimits struct {
	// ReadHeaderTimeout bounds reading a request's headers. Default 5s.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request. Default 30s.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// MaxConcurrent bounds the requests handled at once; more wait, and
	// those that wait longer than ReadHeaderTimeout get 503. Default 256.
	MaxConcurrent int `yaml:"max_concurrent"`
}

// Source is one ingress source.
type Source struct {
	// Secret verifies the X-Hook-Signature of every request (NetBox's
	// webhook secret): a request without a valid one gets 401.
	Secret Secret `yaml:"secret"`
	// Unsigned accepts requests without a signature. It must be set
	// explicitly for a source without a secret: no ingress is open by
	// accident.
	Unsigned bool `yaml:"unsigned"`
}

// Destination is one receiver of the enriched payloads.
type Destination struct {
	// URL is where each payload is POSTed (http or https). Required.
	URL string `yaml:"url"`
	// Headers are added to every request.
	Headers map[string]string `yaml:"headers"`
	// Timeout bounds one attempt. Default 15s.
	Timeout time.Duration `yaml:"timeout"`
	// Concurrency bounds the attempts in flight. Default 4.
	Concurrency int `yaml:"concurrency"`
	// Filter, when set, limits the events delivered.
	Filter Filter `yaml:"filter"`
	// Sign signs each payload: NetBox's X-Hook-Signature, Standard
	// Webhooks' webhook-signature, or both.
	Sign Signing `yaml:"sign"`
	// Retry is the delay before each attempt after the first; after the
	// last, the delivery is dead. Default, like Svix's: 5s, 5m, 30m, 2h,
	// 5h, 10h, 10h (8 attempts over about a day), each with jitter.
	Retry []time.Duration `yaml:"retry"`
}

// Filter selects events by object type and event; empty lists pass all.
type Filter struct {
	ObjectTypes []string `yaml:"object_types"`
	// Events are NetBox's event words: created, updated, deleted,
	// job_started, job_ended.
	Events []string `yaml:"events"`
}

// Signing names the secrets a destination's payloads are signed with.
type Signing struct {
	// NetBox signs with X-Hook-Signature (HMAC-SHA512, hex), as NetBox.
	NetBox Secret `yaml:"netbox"`
	// Standard signs as Standard Webhooks: webhook-id, webhook-timestamp,
	// webhook-signature. The secret is "whsec_" and base64.
	Standard Secret `yaml:"standard"`
}

// Secret is a secret given by value, by file or by environment variable:
// {value: ...}, {file: PATH} (its trailing newline dropped) or {env: NAME}.
// Its text form is redacted: a Secret never shows in logs or errors.
type Secret struct {
	Value string `yaml:"value"`
	File  string `yaml:"file"`
	Env   string `yaml:"env"`

	// resolved is what the configuration's check read, so that a file is
	// read and a variable looked up once.
	resolved string
}

// IsSet reports whether the secret is given at all.
func (s Secret) IsSet() bool { return s.Value != "" || s.File != "" || s.Env != "" }

// String redacts the secret.
func (s Secret) String() string {
	if !s.IsSet() {
		return "(none)"
	}
	return "(redacted)"
}

// GoString redacts the secret in %#v too.
func (s Secret) GoString() string { return s.String() }

// Resolve reads the secret (once, for a Secret of a Config that
// ReadConfig returned).
func (s Secret) Resolve() (string, error) {
	if s.resolved != "" {
		return s.resolved, nil
	}
	n := 0
	for _, v := range []string{s.Value, s.File, s.Env} {
		if v != "" {
			n++
		}
	}
	switch {
	case n == 0:
		return "", errors.New("no secret given")
	case n > 1:
		return "", errors.New("give one of value, file or env")
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("reading the secret file: %w", err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("the secret file %s is empty", s.File)
		}
		return v, nil
	case s.Env != "":
		v := os.Getenv(s.Env)
		if v == "" {
			return "", fmt.Errorf("the environment variable %s is not set", s.Env)
		}
		return v, nil
	}
	return s.Value, nil
}

// resolve reads the secret and keeps it.
func (s *Secret) resolve() error {
	v, err := s.Resolve()
	s.resolved = v
	return err
}

// defaultRetry is the retry schedule of a destination that sets none.
var defaultRetry = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// DefaultRetry returns the default retry schedule: the delays before the
// attempts after the first.
func DefaultRetry() []time.Duration { return slices.Clone(defaultRetry) }

// ReadConfig reads and checks a configuration file: defaults filled in,
// every secret resolvable. Errors name the file and the key.
//
// Each of set is KEY.PATH=VALUE, applied over the file in order, as
// serve's --set flags: any key of the file can be given this way
// (sources.netbox.secret.env=NETBOX_WEBHOOK_SECRET,
// destinations.crm.retry=[5s, 1m]). With set, file may be "" (no file).
func ReadConfig(file string, set ...string) (*Config, error) {
	return readConfig(file, set, (*Config).check)
}

// ReadQueueConfig reads a configuration as `wasmhook queue` needs it:
// as strictly as ReadConfig, but only the queue's keys (data_dir, queue,
// redis) are checked and their secrets resolved, so that an operator's
// shell needs none of the sources' or destinations' secrets.
func ReadQueueConfig(file string, set ...string) (*Config, error) {
	return readConfig(file, set, (*Config).checkQueue)
}

// ParseConfig is ReadConfig on the file's bytes.
func ParseConfig(file string, raw []byte, set ...string) (*Config, error) {
	return parseConfig(file, raw, set, (*Config).check)
}

func readConfig(file string, set []string, check func(*Config) error) (*Config, error) {
	var raw []byte
	if file != "" {
		var err error
		if raw, err = os.ReadFile(file); err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
	}
	return parseConfig(file, raw, set, check)
}

func parseConfig(file string, raw []byte, set []string, check func(*Config) error) (*Config, error) {
	name := file
	if name == "" {
		name = "(no file)"
	}
	var as []strictyaml.Assignment
	for _, s := range set {
		a, err := strictyaml.ParseAssignment(s)
		if err != nil {
			return nil, fmt.Errorf("config --set %w", err)
		}
		as = append(as, a)
	}
	c := &Config{File: file}
	if err := strictyaml.DecodeWith(raw, as, c); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	if err := check(c); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	return c, nil
}

// QueueName is Queue for messages: "embedded", or the Redis URL with any
// password in it redacted.
func (c *Config) QueueName() string {
	if c.Queue == "" {
		return "embedded"
	}
	u, err := url.Parse(c.Queue)
	if err != nil {
		return "(unparsable)"
	}
	return u.Redacted()
}

// check fills in defaults and refuses what cannot run.
func (c *Config) check() error {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if err := c.checkQueue(); err != nil {
		return err
	}
	if c.MaxBody == 0 {
		c.MaxBody = 1 << 20
	}
	if c.Retention == 0 {
		c.Retention = 7 * 24 * time.Hour
	}
	if err := c.Console.check(); err != nil {
		return err
	}
	if (c.TLS.Cert == "") != (c.TLS.Key == "") {
		return errors.New("tls: give both cert and key")
	}
	if c.Server.ReadHeaderTimeout == 0 {
		c.Server.ReadHeaderTimeout = 5 * time.Second
	}
	if c.Server.ReadTimeout == 0 {
		c.Server.ReadTimeout = 30 * time.Second
	}
	if c.Server.MaxConcurrent == 0 {
		c.Server.MaxConcurrent = 256
	}
	if len(c.Sources) == 0 {
		return errors.New("sources: at least one is needed (POST /hooks/{name})")
	}
	for _, name := range slices.Sorted(maps.Keys(c.Sources)) {
		s := c.Sources[name]
		switch {
		case s.Secret.IsSet() && s.Unsigned:
			return fmt.Errorf("sources.%s: a secret and unsigned: true; choose one", name)
		case s.Secret.IsSet():
			if err := s.Secret.resolve(); err != nil {
				return fmt.Errorf("sources.%s.secret: %w", name, err)
			}
			c.Sources[name] = s
		case !s.Unsigned:
			return fmt.Errorf("sources.%s: no secret; set secret, or unsigned: true to accept unsigned requests", name)
		}
	}
	if len(c.Destinations) == 0 {
		return errors.New("destinations: at least one is needed")
	}
	for _, name := range slices.Sorted(maps.Keys(c.Destinations)) {
		d := c.Destinations[name]
		at := "destinations." + name
		u, err := url.Parse(d.URL)
		if d.URL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s.url: want an http or https URL", at)
		}
		if d.Timeout == 0 {
			d.Timeout = 15 * time.Second
		}
		if d.Concurrency == 0 {
			d.Concurrency = 4
		}
		if d.Retry == nil {
			d.Retry = DefaultRetry()
		}
		for i, r := range d.Retry {
			if r <= 0 {
				return fmt.Errorf("%s.retry[%d]: want a positive duration", at, i)
			}
		}
		if d.Sign.NetBox.IsSet() {
			if err := d.Sign.NetBox.resolve(); err != nil {
				return fmt.Errorf("%s.sign.netbox: %w", at, err)
			}
		}
		if d.Sign.Standard.IsSet() {
			err := d.Sign.Standard.resolve()
			if err == nil {
				_, err = StandardKey(d.Sign.Standard.resolved)
			}
			if err != nil {
				return fmt.Errorf("%s.sign.standard: %w", at, err)
			}
		}
		for i, ev := range d.Filter.Events {
			if !slices.Contains([]string{"created", "updated", "deleted", "job_started", "job_ended"}, ev) {
				return fmt.Errorf("%s.filter.events[%d]: %q is not a NetBox event (want created, updated, deleted, job_started or job_ended)", at, i, ev)
			}
		}
		c.Destinations[name] = d
	}
	return nil
}

// checkQueue checks the queue's keys: data_dir, queue, redis.
func (c *Config) checkQueue() error {
	if c.DataDir == "" {
		return errors.New("data_dir: required (the queue's directory)")
	}
	if c.Queue != "" {
		u, err := url.Parse(c.Queue)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return errors.New("queue: want redis://HOST:PORT/DB or rediss://… (or nothing, for the embedded queue)")
		}
	}
	if c.Redis.Password.IsSet() {
		if c.Queue == "" {
			return errors.New("redis.password: set, but queue names no Redis")
		}
		if err := c.Redis.Password.resolve(); err != nil {
			return fmt.Errorf("redis.password: %w", err)
		}
	}
	return nil
}
