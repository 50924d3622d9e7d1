package schema

// Module tables are derived from the typed events of Hypha's modules (the
// names in x/market/types/events.go and x/subnet/types/events.go). Each row is
// one event: (height, event_idx) points at it in events, kind says which of
// the table's events it was, and the other columns are its attributes. They
// are append-only, like the chain's history, so a reindex deletes by height.
//
// The event and attribute names are spelled here rather than imported, so
// that this package stays free of the Cosmos SDK; decode's tests check them
// against the modules' constants.

func moduleTable(name string, events [][2]string, cols ...Column) *Table {
	t := &Table{
		Name:    name,
		Key:     []string{"height", "event_idx"},
		Columns: append([]Column{{Name: "height", Type: Int}, {Name: "event_idx", Type: Int}, {Name: "kind", Type: Text}}, cols...),
		Events:  map[string]string{},
	}
	for _, e := range events {
		t.Events[e[0]] = e[1]
		t.EventOrder = append(t.EventOrder, e[0])
	}
	return t
}

func attr(name string, typ Type) Column { return Column{Name: name, Type: typ, Null: true, Attr: name} }

var (
	// MarketOrders holds orders created and closed.
	MarketOrders = moduleTable("market_orders",
		[][2]string{{"market_order_created", "created"}, {"market_order_closed", "closed"}},
		attr("order_id", Int), attr("owner", Text), attr("price", Text), attr("amount", Text),
		attr("auction_end", Int), attr("reason", Text))
	// MarketBids holds bids placed, revised and closed.
	MarketBids = moduleTable("market_bids",
		[][2]string{{"market_bid_placed", "placed"}, {"market_bid_revised", "revised"}, {"market_bid_closed", "closed"}},
		attr("order_id", Int), attr("provider", Text), attr("price", Text), attr("reason", Text))
	// MarketLeases holds leases created, closed and their heartbeats.
	MarketLeases = moduleTable("market_leases",
		[][2]string{{"market_lease_created", "created"}, {"market_lease_closed", "closed"}, {"market_lease_heartbeat", "heartbeat"}},
		attr("order_id", Int), attr("owner", Text), attr("provider", Text), attr("price", Text),
		attr("run_dry_height", Int), attr("reason", Text), attr("settled_height", Int))
	// MarketProviders holds provider registrations, updates, unbondings,
	// removals and slashes.
	MarketProviders = moduleTable("market_providers",
		[][2]string{{"market_provider_created", "created"}, {"market_provider_updated", "updated"},
			{"market_provider_unbonding", "unbonding"}, {"market_provider_removed", "removed"},
			{"market_provider_slashed", "slashed"}},
		attr("provider", Text), attr("bond", Text), attr("amount", Text), attr("unbonding_height", Int))
	// MarketPayments holds lease payments settled.
	MarketPayments = moduleTable("market_payments",
		[][2]string{{"market_payment_settled", "settled"}},
		attr("order_id", Int), attr("provider", Text), attr("amount", Text), attr("provider_amount", Text),
		attr("pool_amount", Text), attr("blocks", Int))
	// Subnets holds subnets created and their hyperparameter changes.
	Subnets = moduleTable("subnets",
		[][2]string{{"subnet_created", "created"}, {"subnet_hyperparams_set", "hyperparams"}},
		attr("netuid", Int), attr("owner", Text), attr("burned", Int))
	// SubnetNeurons holds neuron registrations and replacements.
	SubnetNeurons = moduleTable("subnet_neurons",
		[][2]string{{"neuron_registered", "registered"}, {"neuron_replaced", "replaced"}},
		attr("netuid", Int), attr("uid", Int), attr("hotkey", Text), attr("burned", Int), attr("replaced", Text))
	// SubnetWeights holds weight commits and reveals.
	SubnetWeights = moduleTable("subnet_weights",
		[][2]string{{"weights_committed", "committed"}, {"weights_set", "set"}},
		attr("netuid", Int), attr("uid", Int), attr("hotkey", Text), attr("reveal_start", Int), attr("reveal_end", Int))
	// SubnetStake holds stake added and removed.
	SubnetStake = moduleTable("subnet_stake",
		[][2]string{{"stake_added", "added"}, {"stake_removed", "removed"}},
		attr("netuid", Int), attr("hotkey", Text), attr("staker", Text), attr("amount", Int))
	// SubnetEpochs holds each subnet epoch and emission.
	SubnetEpochs = moduleTable("subnet_epochs",
		[][2]string{{"subnet_epoch", "epoch"}, {"subnet_emission", "emission"}},
		attr("netuid", Int), attr("amount", Int), attr("distributed", Int), attr("owner_emission", Int), attr("carried", Int))
)

// Modules lists the module tables.
var Modules = []*Table{MarketOrders, MarketBids, MarketLeases, MarketProviders, MarketPayments,
	Subnets, SubnetNeurons, SubnetWeights, SubnetStake, SubnetEpochs}

// ModuleTableFor returns the module table derived from events of type typ and
// the kind it records them as, or nil.
func ModuleTableFor(typ string) (*Table, string) {
	for _, t := range Modules {
		if kind, ok := t.Events[typ]; ok {
			return t, kind
		}
	}
	return nil, ""
}
