package explorer

import (
	"context"
	"database/sql"
	"strconv"
)

// Subnet is a subnet as the index knows it.
type Subnet struct {
	Netuid  int64
	Owner   string
	Burned  int64
	Height  int64
	Neurons int64
	Emitted int64
}

// Neuron is one registration of a uid.
type Neuron struct {
	UID    int64
	Hotkey string
	Height int64
	Kind   string
}

// EmissionPoint is one emission event of a subnet.
type EmissionPoint struct {
	Height int64
	Amount int64
}

// WeightCell counts the weight submissions of one uid in one height bucket.
type WeightCell struct {
	UID    int64
	Bucket int64
	N      int64
}

// Subnets lists the subnets.
func (x *index) Subnets(ctx context.Context, where string, args ...any) ([]Subnet, error) {
	var out []Subnet
	err := x.scanAll(ctx, `SELECT s.netuid, s.owner, s.burned, s.height,
		(SELECT COUNT(DISTINCT n.uid) FROM subnet_neurons n WHERE n.netuid = s.netuid),
		(SELECT SUM(e.amount) FROM subnet_epochs e WHERE e.netuid = s.netuid AND e.kind = 'emission')
		FROM subnets s WHERE s.kind = 'created' `+where+` ORDER BY s.netuid LIMIT ?`, func(r *sql.Rows) error {
		var s Subnet
		var owner sql.NullString
		var burned, emitted sql.NullInt64
		err := r.Scan(&s.Netuid, &owner, &burned, &s.Height, &s.Neurons, &emitted)
		s.Owner, s.Burned, s.Emitted = ns(owner), burned.Int64, emitted.Int64
		out = append(out, s)
		return err
	}, append(args, maxList)...)
	return out, err
}

// Neurons lists the latest registration of each uid of netuid.
func (x *index) Neurons(ctx context.Context, netuid int64) ([]Neuron, error) {
	var out []Neuron
	err := x.scanAll(ctx, `SELECT n.uid, n.hotkey, n.height, n.kind FROM subnet_neurons n WHERE n.netuid = ?
		AND n.height = (SELECT MAX(m.height) FROM subnet_neurons m WHERE m.netuid = n.netuid AND m.uid = n.uid)
		ORDER BY n.uid LIMIT 256`, func(r *sql.Rows) error {
		var n Neuron
		var hk sql.NullString
		err := r.Scan(&n.UID, &hk, &n.Height, &n.Kind)
		n.Hotkey = ns(hk)
		out = append(out, n)
		return err
	}, netuid)
	return out, err
}

// Emission lists the newest emission events of netuid, oldest first.
func (x *index) Emission(ctx context.Context, netuid int64, n int) ([]EmissionPoint, error) {
	var out []EmissionPoint
	err := x.scanAll(ctx, `SELECT height, amount FROM subnet_epochs WHERE netuid = ? AND kind = 'emission'
		ORDER BY height DESC LIMIT ?`, func(r *sql.Rows) error {
		var p EmissionPoint
		var a sql.NullInt64
		err := r.Scan(&p.Height, &a)
		p.Amount = a.Int64
		out = append(out, p)
		return err
	}, netuid, n)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// WeightActivity counts weight submissions (committed or set) per uid per
// bucket of heights, over the newest buckets×bucket blocks.
func (x *index) WeightActivity(ctx context.Context, netuid, now, bucket, buckets int64) ([]WeightCell, error) {
	from := now - bucket*buckets
	var out []WeightCell
	err := x.scanAll(ctx, `SELECT uid, (height - ?) / ?, COUNT(*) FROM subnet_weights
		WHERE netuid = ? AND height > ? AND uid IS NOT NULL GROUP BY uid, (height - ?) / ? ORDER BY uid LIMIT 4096`, func(r *sql.Rows) error {
		var c WeightCell
		err := r.Scan(&c.UID, &c.Bucket, &c.N)
		out = append(out, c)
		return err
	}, from, bucket, netuid, from, from, bucket)
	return out, err
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
