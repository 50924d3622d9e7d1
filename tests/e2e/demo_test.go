package e2e_test

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hypha-network/hypha/devnet/demo"
	"github.com/hypha-network/hypha/testutil/e2e"
)

// freePortBlock returns a port p such that p..p+3 are free on loopback (the
// demo gateway and its three miners).
func freePortBlock(t *testing.T) int {
	t.Helper()
	for tries := 0; tries < 50; tries++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ok := p+3 < 65536
		for i := 1; ok && i <= 3; i++ {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+i))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatal("no block of four free ports")
	return 0
}

// TestDevnetDemoSubnet runs `hyphad devnet` with its demo subnet and checks
// that, with no setup, the three demo miners end up with incentives ordered by
// the quality of their models (untrained < briefly trained < well trained).
func TestDevnetDemoSubnet(t *testing.T) {
	d := e2e.StartDevnetWith(t, "--demo-port", strconv.Itoa(freePortBlock(t)), "--provider=false")
	addrs := map[string]string{}
	for _, m := range demo.Miners {
		addrs[m.Key] = d.Address(t, m.Key)
	}
	deadline := time.Now().Add(5 * time.Minute)
	var last string
	for time.Now().Before(deadline) {
		time.Sleep(5 * time.Second)
		if !strings.Contains(d.Output(), "Demo subnet 1") {
			if strings.Contains(d.Output(), "Demo subnet stopped") {
				t.Fatalf("demo failed:\n%s", d.Output())
			}
			continue
		}
		var mg metagraph
		d.QueryJSON(t, &mg, "q", "subnet", "metagraph", "1")
		if len(mg.Neurons) != 1+len(demo.Miners) {
			continue
		}
		// The miners register concurrently, so find each by its hotkey;
		// demo.Miners lists them from the worst model to the best.
		byHotkey := map[string]string{}
		for _, n := range mg.Neurons {
			byHotkey[n.Hotkey] = n.Incentive
		}
		inc := make([]string, len(demo.Miners))
		for i, m := range demo.Miners {
			inc[i] = byHotkey[addrs[m.Key]]
		}
		last = strings.Join(inc, " ")
		if inc[2] > inc[1] && inc[1] > inc[0] {
			return
		}
	}
	t.Fatalf("demo miners' incentives never ordered by model quality (last: %s)\n%s", last, d.Output())
}
