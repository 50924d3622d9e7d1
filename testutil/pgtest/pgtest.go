// Package pgtest starts a real PostgreSQL server for tests, from the Debian
// packages' binaries (apt-get install postgresql), in a temporary directory on
// a free loopback port, and stops it when the test ends. As root it runs the
// server as the "postgres" user (PostgreSQL refuses to run as root). Tests
// skip, saying why, when the binaries are missing.
package pgtest

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/hypha-network/hypha/testutil/netutil"
)

// Server is a running PostgreSQL server owned by one test.
type Server struct {
	// Port is the loopback port the server listens on.
	Port int
	dir  string
	bin  string
	as   *user.User // run as this user (nil: as ourselves)
	dbs  atomic.Int64
}

// BinDir returns the directory holding initdb and pg_ctl, or "" if PostgreSQL
// is not installed: $PG_BIN, the newest /usr/lib/postgresql/*/bin, or PATH.
func BinDir() string {
	if d := os.Getenv("PG_BIN"); d != "" {
		return d
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises and starts a server, or skips the test when PostgreSQL
// is not installed (or cannot run as a non-root user here).
func Start(t testing.TB) *Server {
	t.Helper()
	bin := BinDir()
	if bin == "" {
		t.Skip("PostgreSQL not installed (apt-get install postgresql, or set PG_BIN): skipping the PostgreSQL half of this test")
	}
	s := &Server{bin: bin, Port: netutil.FreePort(t)}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run PostgreSQL as (the postgresql package creates it): skipping")
		}
		s.as = u
	}
	// Not t.TempDir: its parents are private to us, and the server may run
	// as another user.
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	s.dir = dir
	t.Cleanup(func() { s.stop(t); os.RemoveAll(dir) })
	if s.as != nil {
		uid, _ := strconv.Atoi(s.as.Uid)
		gid, _ := strconv.Atoi(s.as.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatalf("chown %s to postgres: %v", dir, err)
		}
	}
	data := filepath.Join(dir, "data")
	// C locale: text sorts by bytes, as in SQLite, so ORDER BY agrees.
	s.run(t, "initdb", "-D", data, "-U", "hypha", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", s.Port, dir)
	s.run(t, "pg_ctl", "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
	return s
}

// run runs a PostgreSQL binary (as the postgres user when we are root) and
// fails the test with its output if it fails.
func (s *Server) run(t testing.TB, name string, args ...string) {
	t.Helper()
	if err := s.try(name, args...); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
		t.Fatalf("%v\nserver log:\n%s", err, log)
	}
}

func (s *Server) try(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.dir
	if s.as != nil {
		uid, _ := strconv.Atoi(s.as.Uid)
		gid, _ := strconv.Atoi(s.as.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Env = append(os.Environ(), "HOME="+s.dir)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

func (s *Server) stop(t testing.TB) {
	data := filepath.Join(s.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err != nil {
		return
	}
	if err := s.try("pg_ctl", "-D", data, "-m", "immediate", "-w", "-t", "30", "stop"); err != nil {
		t.Logf("stop PostgreSQL: %v", err)
	}
}

// DSN returns the URL of database db on this server.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://hypha@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDB creates a fresh database and returns its URL.
func (s *Server) NewDB(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", s.dbs.Add(1))
	db, err := sql.Open("pgx", s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err = db.Exec("CREATE DATABASE " + name)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	return s.DSN(name)
}
