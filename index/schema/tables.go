// Package schema describes the tables of Hypha's SQL index of the chain, once,
// for both SQL dialects (SQLite and PostgreSQL): their columns, keys and
// indexes, the DDL each dialect needs, and the migrations that bring a
// database to the current version. Every other index package reads table and
// column names from here, so the layout lives in one file.
package schema

// Type is a column's portable type.
type Type int

const (
	// Int is a 64-bit signed integer.
	Int Type = iota
	// Text is a UTF-8 string.
	Text
)

// Column is one column of a table.
type Column struct {
	Name string
	Type Type
	// Null allows NULL (for example a block event has no transaction hash).
	Null bool
	// Attr is, for a module table, the event attribute the column is read from.
	Attr string
}

// Table is one table of the index. Every table has a height column, so that
// reindexing from a height is one DELETE per table.
type Table struct {
	Name    string
	Columns []Column
	// Key lists the primary key's columns.
	Key []string
	// Indexes lists secondary indexes, each a list of columns.
	Indexes [][]string
	// Events maps, for a module table, each chain event type the table is
	// derived from to the value of its kind column.
	Events map[string]string
	// EventOrder lists Events' keys in a fixed order (map order is not).
	EventOrder []string
}

// ColumnNames returns the table's column names in order.
func (t *Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Core tables: what every block, transaction and event is made of.
var (
	// Blocks holds one row per indexed block.
	Blocks = &Table{Name: "blocks", Key: []string{"height"}, Columns: []Column{
		{Name: "height", Type: Int}, {Name: "hash", Type: Text}, {Name: "time", Type: Text},
		{Name: "proposer", Type: Text}, {Name: "num_txs", Type: Int}, {Name: "num_events", Type: Int},
		{Name: "app_hash", Type: Text},
	}}
	// Txs holds one row per transaction, failed ones included (code != 0).
	Txs = &Table{Name: "txs", Key: []string{"hash"}, Indexes: [][]string{{"height", "idx"}, {"signer"}}, Columns: []Column{
		{Name: "hash", Type: Text}, {Name: "height", Type: Int}, {Name: "idx", Type: Int},
		{Name: "code", Type: Int}, {Name: "codespace", Type: Text}, {Name: "log", Type: Text},
		{Name: "gas_wanted", Type: Int}, {Name: "gas_used", Type: Int}, {Name: "fee", Type: Text},
		{Name: "signer", Type: Text}, {Name: "memo", Type: Text}, {Name: "msg_types", Type: Text},
	}}
	// Msgs holds one row per message of a transaction, as the chain's JSON.
	Msgs = &Table{Name: "msgs", Key: []string{"tx_hash", "idx"}, Indexes: [][]string{{"height"}, {"type_url"}, {"signer"}}, Columns: []Column{
		{Name: "tx_hash", Type: Text}, {Name: "idx", Type: Int}, {Name: "height", Type: Int},
		{Name: "type_url", Type: Text}, {Name: "signer", Type: Text}, {Name: "json", Type: Text},
	}}
	// Events holds one row per event of a block; idx numbers them within the
	// block (block events first, then each transaction's in order).
	Events = &Table{Name: "events", Key: []string{"height", "idx"}, Indexes: [][]string{{"tx_hash"}, {"type"}}, Columns: []Column{
		{Name: "height", Type: Int}, {Name: "idx", Type: Int}, {Name: "tx_hash", Type: Text, Null: true},
		{Name: "type", Type: Text}, {Name: "phase", Type: Text},
	}}
	// Attributes holds the key/value pairs of each event, (height, event_idx)
	// naming the event.
	Attributes = &Table{Name: "attributes", Key: []string{"height", "event_idx", "idx"}, Indexes: [][]string{{"key", "value"}}, Columns: []Column{
		{Name: "height", Type: Int}, {Name: "event_idx", Type: Int}, {Name: "idx", Type: Int},
		{Name: "key", Type: Text}, {Name: "value", Type: Text},
	}}
	// Accounts holds each account address touched in a block (a message
	// signer or an address in an event attribute), once per block.
	Accounts = &Table{Name: "accounts", Key: []string{"address", "height"}, Indexes: [][]string{{"height"}}, Columns: []Column{
		{Name: "address", Type: Text}, {Name: "height", Type: Int},
	}}
)

// Phases of an event, the values of events.phase.
const (
	PhaseBegin    = "begin"    // BeginBlock
	PhaseTx       = "tx"       // a transaction
	PhaseEnd      = "end"      // EndBlock
	PhaseFinalize = "finalize" // FinalizeBlock outside Begin/EndBlock
)

// Core lists the core tables in write order.
var Core = []*Table{Blocks, Txs, Msgs, Events, Attributes, Accounts}

// All lists every table, core then module tables.
var All = append(append([]*Table{}, Core...), Modules...)
