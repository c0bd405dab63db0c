package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/wasmhook/wasmhook"
)

const signUsage = `usage: wasmhook sign --secret S [FILE|-]

Prints the X-Hook-Signature of a body, as NetBox computes it: the lowercase
hex HMAC-SHA512 of the body's exact bytes, keyed with the secret. Reads stdin
without FILE. Nothing is trimmed: a newline at the end is part of the body
(run prints none after a compact payload).

example:
  wasmhook run --modules plugins --compact | wasmhook sign --secret s3cr3t

flags:
`

const verifyUsage = `usage: wasmhook verify --secret S --signature H [FILE|-]

Checks a body's X-Hook-Signature. Prints "ok" and exits 0 when it matches;
exits 1 when it does not.

example:
  wasmhook verify --secret s3cr3t --signature 356f477a… body.json

flags:
`

func cmdSign(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("sign", signUsage, io)
	secret := fs.String("secret", "", "the webhook secret (required)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	body, err := readBody(fs.Args(), *secret, "sign", io)
	if err != nil {
		return err
	}
	fmt.Fprintln(io.out, wasmhook.Sign(*secret, body))
	return nil
}

func cmdVerify(ctx context.Context, args []string, io stdio) error {
	fs := newFlags("verify", verifyUsage, io)
	secret := fs.String("secret", "", "the webhook secret (required)")
	sig := fs.String("signature", "", "the X-Hook-Signature value (required)")
	if err := fs.Parse(args); err != nil {
		return usageErr(err)
	}
	if *sig == "" {
		return usageErr(errors.New("verify: --signature is required"))
	}
	body, err := readBody(fs.Args(), *secret, "verify", io)
	if err != nil {
		return err
	}
	if !wasmhook.Verify(*secret, body, strings.TrimSpace(*sig)) {
		return &exitError{code: exitFailed, err: errors.New("verify: the signature does not match the body")}
	}
	fmt.Fprintln(io.out, "ok")
	return nil
}

func readBody(args []string, secret, cmd string, io stdio) ([]byte, error) {
	if secret == "" {
		return nil, usageErr(fmt.Errorf("%s: --secret is required", cmd))
	}
	if len(args) > 1 {
		return nil, usageErr(fmt.Errorf("%s: one body at a time", cmd))
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
