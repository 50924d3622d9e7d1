package e2e_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"

	"github.com/hypha-network/hypha/agent/provider/runtime"
	"github.com/hypha-network/hypha/testutil/dockertest"
	"github.com/hypha-network/hypha/testutil/e2e"
	"github.com/hypha-network/hypha/testutil/netutil"
)

// TestProviderDockerDeploy runs the web example through a provider agent
// whose runtime is docker, against the real Docker Engine: the image is built
// locally FROM scratch with the example's static server, the deployment
// serves the same content as the process-runtime example, its logs reach
// `hyphad lease logs`, earnings reach the chain and the metrics, the
// container survives a kill -9 of the agent and is re-adopted, and closing
// the lease removes it.
func TestProviderDockerDeploy(t *testing.T) {
	cli := dockertest.Client(t)
	dockertest.BuildGoImage(t, cli, "../../examples/deploy/webserver", "hypha-example-web:1")
	d := e2e.StartDevnet(t)
	dir := t.TempDir()
	listen := fmt.Sprintf("127.0.0.1:%d", netutil.FreePort(t))
	config := filepath.Join(dir, "provider.yaml")
	provMust(t, os.WriteFile(config, []byte(fmt.Sprintf(`chain: {node: %s, home: %s, key: provider2}
listen: %s
data_dir: data
runtime: docker
attributes: {region: local}
inventory: {cpu: 4, memory: 8Gi}
pricing: {cpu_per_core: 20, memory_per_gib: 40}
poll_interval: 1s
withdraw_every: 5
`, d.RPCURL(), d.Home, listen)), 0o600))
	agent := &provAgent{bin: d.Bin, config: config, log: filepath.Join(dir, "agent.log")}
	agent.start(t)
	t.Cleanup(agent.kill)
	agent.waitLog(t, "serving the lease API", 90*time.Second)
	if !strings.Contains(agent.output(), "workloads run with the docker runtime") {
		t.Fatalf("agent did not pick the docker runtime:\n%s", agent.output())
	}

	app, err := filepath.Abs("../../examples/deploy/web-docker.yaml")
	provMust(t, err)
	out, err := d.TryCLI("deploy", app, "--deposit", "10000000uhyp", "--from", "alice", "--json", "--timeout", "3m")
	if err != nil {
		t.Fatalf("deploy: %v\nagent log:\n%s", err, agent.output())
	}
	var dep deployJSON
	provMust(t, json.Unmarshal(out, &dep))
	id := strconv.FormatUint(dep.Lease, 10)
	t.Cleanup(func() { removeLeaseContainers(cli, id) })
	if dep.Provider != d.Address(t, "provider2") || len(dep.Status.Services) != 1 || !dep.Status.Services[0].Running {
		t.Fatalf("deploy result: %+v", dep)
	}
	endpoint := "http://" + dep.Status.Services[0].Endpoints["8080"] + "/"
	if body := provWaitHTTP(t, endpoint); strings.TrimSpace(body) != "hello from hypha" {
		t.Fatalf("endpoint %s answered %q", endpoint, body)
	}
	ctx := context.Background()
	name := "hypha-" + id + "-web-0"
	info, err := cli.ContainerInspect(ctx, name)
	provMust(t, err)
	if info.Config.Image != "hypha-example-web:1" || info.HostConfig.Memory != 256<<20 || info.HostConfig.NanoCPUs != 500_000_000 {
		t.Fatalf("container %s: image %s memory %d nanocpus %d", name, info.Config.Image, info.HostConfig.Memory, info.HostConfig.NanoCPUs)
	}
	logs := string(d.CLI(t, "lease", "logs", id, "--from", "alice"))
	if !strings.Contains(logs, "serving on :8080") || !strings.Contains(logs, "GET /") {
		t.Fatalf("lease logs:\n%s", logs)
	}

	// Earnings: the agent withdraws, the provider's on-chain payment grows,
	// and the metrics report it.
	agent.waitLog(t, "lease "+id+": withdrew", 60*time.Second)
	var earned int64
	deadline := time.Now().Add(30 * time.Second)
	for earned == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("earnings metric stayed 0:\n%s", metricsText(t, listen))
		}
		time.Sleep(time.Second)
		earned = earningsMetric(t, listen)
	}
	if paid := atoi(t, mktLease(t, d, id).Lease.ProviderPaid); earned > paid {
		t.Fatalf("earnings metric %d > lease provider_paid %d", earned, paid)
	}

	// kill -9 the agent: the container keeps serving; the new agent re-adopts
	// the same container and does not bid again.
	agent.kill()
	if body, err := netutil.Get(endpoint); err != nil || !strings.Contains(body, "hello") {
		t.Fatalf("workload died with the agent: %v", err)
	}
	restartAt := len(agent.output())
	agent.start(t)
	agent.waitLogAfter(t, restartAt, "re-adopted instance "+id+"-web-0 (container "+info.ID[:12]+")", 60*time.Second)
	agent.waitLogAfter(t, restartAt, "lease "+id+": heartbeat sent", 60*time.Second)
	if n := strings.Count(agent.output(), "placed bid on order "+id+" "); n != 1 {
		t.Fatalf("%d bids on order %s, want 1", n, id)
	}
	if after, err := cli.ContainerInspect(ctx, name); err != nil || after.ID != info.ID || !after.State.Running {
		t.Fatalf("container after agent restart: %v", err)
	}
	if lease := mktLease(t, d, id); lease.Lease.State != "LEASE_STATE_ACTIVE" {
		t.Fatalf("lease state after restart: %s", lease.Lease.State)
	}

	d.CLI(t, "lease", "close", id, "--from", "alice")
	if _, err := cli.ContainerInspect(ctx, name); !client.IsErrNotFound(err) {
		t.Fatalf("container %s still exists after the lease closed: %v", name, err)
	}
	if _, err := netutil.Get(endpoint); err == nil {
		t.Fatal("workload still answers after the lease closed")
	}
	if lease := mktLease(t, d, id); lease.Lease.State != "LEASE_STATE_CLOSED" {
		t.Fatalf("lease state after close: %s", lease.Lease.State)
	}
}

func removeLeaseContainers(cli *client.Client, lease string) {
	ctx := context.Background()
	cs, _ := cli.ContainerList(ctx, container.ListOptions{All: true,
		Filters: filters.NewArgs(filters.Arg("label", runtime.LabelLease+"="+lease))})
	for _, c := range cs {
		_ = cli.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	}
}

// metricsText fetches the agent's Prometheus metrics (its certificate is
// self-signed and pinned on chain; here we only read numbers).
func metricsText(t *testing.T, listen string) string {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := c.Get("https://" + listen + "/metrics")
	provMust(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	provMust(t, err)
	return string(b)
}

var earningsRE = regexp.MustCompile(`(?m)^hypha_provider_earnings_total\{denom="uhyp"\} (\d+)$`)

func earningsMetric(t *testing.T, listen string) int64 {
	t.Helper()
	m := earningsRE.FindStringSubmatch(metricsText(t, listen))
	if m == nil {
		t.Fatalf("no earnings metric in:\n%s", metricsText(t, listen))
	}
	return atoi(t, m[1])
}
