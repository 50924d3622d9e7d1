package provider

import "github.com/hypha-network/hypha/agent/metrics"

// The provider agent's metrics, served at leaseapi.RouteMetrics.
const (
	metricBidsPlaced   = "hypha_provider_bids_placed_total"
	metricBidsWon      = "hypha_provider_bids_won_total"
	metricActiveLeases = "hypha_provider_active_leases"
	metricWithdrawals  = "hypha_provider_withdrawals_total"
	metricEarnings     = "hypha_provider_earnings_total"
)

func newMetrics() *metrics.Registry {
	r := metrics.New()
	r.Describe(metricBidsPlaced, "counter", "Bids placed by this agent process.")
	r.Describe(metricBidsWon, "counter", "Bids that became leases.")
	r.Describe(metricActiveLeases, "gauge", "Active leases.")
	r.Describe(metricWithdrawals, "counter", "Withdrawals sent.")
	r.Describe(metricEarnings, "counter", "Paid to the provider for its leases, as seen on chain, in base denom units.")
	// Counters are exported from the start, so a scrape sees 0, not nothing.
	for _, n := range []string{metricBidsPlaced, metricBidsWon, metricActiveLeases, metricWithdrawals} {
		r.Add(n, 0)
	}
	return r
}
