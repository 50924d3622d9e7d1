package model

import "testing"

func TestBuild(t *testing.T) {
	tests := []struct {
		name    string
		c       Config
		x       []int
		wantErr bool
	}{
		{"mlp", Config{Kind: MLP, Hidden: []int{8}, Dropout: 0.1}, []int{4}, false},
		{"mlp image flattened", Config{Kind: MLP, Activation: "gelu"}, []int{1, 4, 4}, false},
		{"cnn", Config{Kind: CNN, Channels: []int{2}, Pool: "avg"}, []int{1, 4, 4}, false},
		{"transformer", Config{Kind: Transformer, Dim: 8, Heads: 2, Layers: 1}, []int{5}, false},
		{"unknown kind", Config{Kind: "rnn"}, []int{4}, true},
		{"bad activation", Config{Kind: MLP, Activation: "swish"}, []int{4}, true},
		{"bad dropout", Config{Kind: MLP, Dropout: 1}, []int{4}, true},
		{"cnn flat input", Config{Kind: CNN, Channels: []int{2}}, []int{16}, true},
		{"cnn even kernel", Config{Kind: CNN, Channels: []int{2}, Kernel: 2}, []int{1, 4, 4}, true},
		{"heads do not divide", Config{Kind: Transformer, Dim: 6, Heads: 4, Layers: 1}, []int{5}, true},
	}
	for _, tt := range tests {
		m, err := Build(tt.c, tt.x, 3, 2, true)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		if err == nil && (len(m.G.Grads) != len(m.G.Params) || m.G.Validate() != nil) {
			t.Errorf("%s: incomplete graph", tt.name)
		}
	}
}
