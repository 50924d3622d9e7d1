package devnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// LockFile is the name of the file in a devnet home that a running devnet holds
// an exclusive lock on. It stays in the home after the devnet stops; only the lock
// (which the kernel drops when the process dies, even after kill -9) matters.
const LockFile = "devnet.lock"

// ErrHomeInUse is matched (with errors.Is) by every *HomeInUseError.
var ErrHomeInUse = errors.New("devnet already running on this home")

// HomeInUseError means another process holds the lock on a devnet home.
type HomeInUseError struct {
	Home string
	// PID is the process that holds the lock, or 0 if it could not be read.
	PID int
}

func (e *HomeInUseError) Error() string {
	pid := "pid unknown"
	if e.PID > 0 {
		pid = "pid " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("%v (%s): %s; stop it or use --home DIR", ErrHomeInUse, pid, e.Home)
}

// Is makes errors.Is(err, ErrHomeInUse) hold.
func (e *HomeInUseError) Is(target error) bool { return target == ErrHomeInUse }

// HomeLock is an exclusive lock on a devnet home, held until Release or until the
// process exits.
type HomeLock struct {
	f *os.File
}

// Lock takes the exclusive lock on home, creating home if it does not exist. It
// must come before anything else touches home: a second devnet on the same home
// then stops with a *HomeInUseError and changes nothing there (without it, the
// second one rewrote the first one's client.toml before failing on the database
// lock). Lock does not wait.
func Lock(home string) (*HomeLock, error) {
	if err := os.MkdirAll(home, 0o755); err != nil {
		return nil, fmt.Errorf("create devnet home %s: %w", home, err)
	}
	path := filepath.Join(home, LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open devnet lock %s: %w", path, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock devnet home %s: %w", home, err)
	}
	if !held {
		bz, _ := os.ReadFile(path)
		f.Close()
		pid, _ := strconv.Atoi(strings.TrimSpace(string(bz)))
		return nil, &HomeInUseError{Home: home, PID: pid}
	}
	// Record who holds the lock, for the message a second devnet prints.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &HomeLock{f: f}, nil
}

// Release drops the lock. It is safe to call more than once.
func (l *HomeLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	f := l.f
	l.f = nil
	_ = f.Truncate(0)
	unlock(f)
	return f.Close()
}
