package cmd

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	errorsmod "cosmossdk.io/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

func TestFormatErrorKeyNotFound(t *testing.T) {
	err := fmt.Errorf("failed to convert address field to address: %w",
		errorsmod.Wrap(sdkerrors.ErrKeyNotFound, "alice.info"))
	got := FormatError(err, ErrorContext{Home: "/tmp/h", KeyringBackend: "test"})
	want := "key \"alice\" not found in /tmp/h (backend test); list keys with `hyphad keys list --home /tmp/h` or pass --home"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// By address, and with the keyring elsewhere than the home.
	err = errorsmod.Wrap(sdkerrors.ErrKeyNotFound, "key with address hypha1xyz not found")
	got = FormatError(err, ErrorContext{Home: "/h", KeyringDir: "/k", KeyringBackend: "os"})
	if !strings.HasPrefix(got, `key "hypha1xyz" not found in /k (backend os)`) || !strings.Contains(got, "--home /h") {
		t.Fatalf("by address: %s", got)
	}
	// The name comes from --from when the message does not carry it.
	got = FormatError(sdkerrors.ErrKeyNotFound, ErrorContext{Home: "/h", From: "bob", KeyringBackend: "test"})
	if !strings.HasPrefix(got, `key "bob" not found`) {
		t.Fatalf("from --from: %s", got)
	}
}

func TestFormatErrorStripsNoise(t *testing.T) {
	st := status.Error(codes.NotFound, "rpc error: code = NotFound desc = order 5: not found [hypha/x/market/keeper/grpc_query.go:42]")
	err := fmt.Errorf("query order: %w", st)
	if got, want := FormatError(err, ErrorContext{}), "query order: order 5: not found"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	sim := errors.New("failed to execute message; message index: 0: spendable balance 0HYP is smaller than 1HYP: insufficient funds with gas used: '35486': unknown request")
	if got, want := FormatError(sim, ErrorContext{}), "message index: 0: spendable balance 0HYP is smaller than 1HYP: insufficient funds"; got != want {
		t.Fatalf("simulation error: got %q, want %q", got, want)
	}
	if got := FormatError(errors.New("plain"), ErrorContext{}); got != "plain" {
		t.Fatalf("plain error changed: %q", got)
	}
	if FormatError(nil, ErrorContext{}) != "" {
		t.Fatal("nil error formats as non-empty")
	}
}
