package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/wasmhook/wasmhook"
)

// secretEnv holds the webhook secret when no flag gives it.
const secretEnv = "WASMHOOK_SECRET"

const secretHelp = `The secret comes from --secret-file (the file's contents, without one
trailing newline), else the ` + secretEnv + ` environment variable, else
--secret (which other users can read in the process list, and which stays in
your shell history).
`

const signUsage = `usage: wasmhook sign [--secret-file FILE] [BODY|-]

Prints the X-Hook-Signature of a body, as NetBox computes it: the lowercase
hex HMAC-SHA512 of the body's exact bytes, keyed with the secret. Reads stdin
without BODY. Nothing is trimmed: a newline at the end is part of the body
(run prints none after a compact payload).

` + secretHelp + `
examples:
  wasmhook run plugin.wasm --compact | wasmhook sign --secret-file ~/.config/netbox-secret
  WASMHOOK_SECRET=s3cr3t wasmhook sign body.json

flags:
`

const verifyUsage = `usage: wasmhook verify [--secret-file FILE] --signature H [BODY|-]

Checks a body's X-Hook-Signature. Prints "ok" and exits 0 when it matches;
exits 1 when it does not.

` + secretHelp + `
example:
  wasmhook verify --secret-file secret.txt --signature 356f477a… body.json

flags:
`

// secretFlags are sign's and verify's ways to give the secret.
type secretFlags struct {
	secret, file string
}

func (s *secretFlags) register(fs *flags) {
	fs.StringVar(&s.file, "secret-file", "", "read the webhook secret from this file")
	fs.StringVar(&s.secret, "secret", "", "the webhook secret (visible to other users in the process list: prefer --secret-file or "+secretEnv+")")
}

// get returns the secret from the first source that gives one.
func (s *secretFlags) get(cmd string) (string, error) {
	if s.file != "" && s.secret != "" {
		return "", hintErr(cmd, errors.New("--secret and --secret-file exclude each other"))
	}
	if s.file != "" {
		b, err := os.ReadFile(s.file)
		if err != nil {
			return "", usageErr(fmt.Errorf("%s: secret file %s: %w", cmd, s.file, unwrapPath(err)))
		}
		// A file written with echo or an editor ends with a newline that is
		// not part of the secret.
		secret := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if secret == "" {
			return "", usageErr(fmt.Errorf("%s: secret file %s is empty", cmd, s.file))
		}
		return secret, nil
	}
	if s.secret != "" {
		return s.secret, nil
	}
	if v := os.Getenv(secretEnv); v != "" {
		return v, nil
	}
	return "", hintErr(cmd, fmt.Errorf("no secret: give --secret-file FILE or set %s", secretEnv))
}

func cmdSign(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("sign", signUsage, io)
	var sf secretFlags
	sf.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	secret, err := sf.get("sign")
	if err != nil {
		return err
	}
	body, err := readBody(fs.Args(), "sign", io)
	if err != nil {
		return err
	}
	fmt.Fprintln(io.out, wasmhook.Sign(secret, body))
	return nil
}

func cmdVerify(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("verify", verifyUsage, io)
	var sf secretFlags
	sf.register(fs)
	sig := fs.String("signature", "", "the X-Hook-Signature value (required)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *sig == "" {
		return hintErr("verify", errors.New("--signature is required"))
	}
	secret, err := sf.get("verify")
	if err != nil {
		return err
	}
	body, err := readBody(fs.Args(), "verify", io)
	if err != nil {
		return err
	}
	if !wasmhook.Verify(secret, body, strings.TrimSpace(*sig)) {
		return &exitError{code: exitFailed, err: errors.New("verify: the signature does not match the body")}
	}
	fmt.Fprintln(io.out, "ok")
	return nil
}

func readBody(args []string, cmd string, io stdio) ([]byte, error) {
	if len(args) > 1 {
		return nil, hintErr(cmd, errors.New("one body at a time"))
	}
	name := ""
	if len(args) == 1 {
		name = args[0]
	}
	body, err := readInput(name, io.in)
	if err != nil {
		return nil, usageErr(fmt.Errorf("%s: %s: %w", cmd, name, unwrapPath(err)))
	}
	return body, nil
}

// unwrapPath drops a *fs.PathError's own path when the message names it.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
