package chainclient

import (
	"context"
	"errors"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
)

// ErrNotFound matches (with errors.Is) a query for something that does not
// exist, so callers can tell "absent" from "unreachable".
var ErrNotFound = errors.New("not found")

// queryConn runs gRPC query methods as ABCI queries over CometBFT RPC, so the
// modules' generated query clients (types.NewQueryClient) work on it. Unlike
// the SDK's client.Context it keeps the chain's codespace and code in the
// error it returns.
type queryConn struct {
	rpc  *rpchttp.HTTP
	node string
}

var _ gogogrpc.ClientConn = (*queryConn)(nil)

// Invoke implements gogogrpc.ClientConn.
func (q *queryConn) Invoke(ctx context.Context, method string, args, reply any, _ ...grpc.CallOption) error {
	req, ok := args.(proto.Message)
	if !ok {
		return fmt.Errorf("query %s: request %T is not a protobuf message", method, args)
	}
	out, ok := reply.(proto.Message)
	if !ok {
		return fmt.Errorf("query %s: response %T is not a protobuf message", method, reply)
	}
	bz, err := proto.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode %s request: %w", method, err)
	}
	res, err := q.rpc.ABCIQuery(ctx, method, bz)
	if err != nil {
		return status.Errorf(codes.Unavailable, "query %s on %s: %v (is the node running?)", method, q.node, err)
	}
	if r := res.Response; r.Code != 0 {
		return &QueryError{Method: method, Codespace: r.Codespace, Code: r.Code, Log: r.Log}
	}
	if err := proto.Unmarshal(res.Response.Value, out); err != nil {
		return fmt.Errorf("decode %s response: %w", method, err)
	}
	return nil
}

// NewStream implements gogogrpc.ClientConn; no Hypha query streams.
func (q *queryConn) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, errors.New("chainclient: streaming queries are not supported over ABCI")
}

// QueryError is a query the chain answered with an error. The node turns a
// query server's gRPC status into an SDK code (NotFound into ErrKeyNotFound,
// InvalidArgument into ErrInvalidRequest); GRPCStatus turns it back, so
// status.Code(err) works as against a gRPC server.
type QueryError struct {
	Method    string
	Codespace string
	Code      uint32
	Log       string
}

// Error implements error.
func (e *QueryError) Error() string { return fmt.Sprintf("query %s: %s", e.Method, e.Log) }

// Unwrap returns the registered error the chain's code stands for.
func (e *QueryError) Unwrap() error { return errorsmod.ABCIError(e.Codespace, e.Code, e.Log) }

// GRPCStatus implements the interface status.FromError looks for.
func (e *QueryError) GRPCStatus() *status.Status {
	c := codes.Unknown
	if e.Codespace == sdkerrors.RootCodespace {
		switch e.Code {
		case sdkerrors.ErrKeyNotFound.ABCICode(), sdkerrors.ErrNotFound.ABCICode():
			c = codes.NotFound
		case sdkerrors.ErrInvalidRequest.ABCICode():
			c = codes.InvalidArgument
		case sdkerrors.ErrUnauthorized.ABCICode():
			c = codes.Unauthenticated
		}
	}
	return status.New(c, e.Error())
}

// Is makes errors.Is(err, ErrNotFound) hold for NotFound answers.
func (e *QueryError) Is(target error) bool {
	return target == ErrNotFound && e.GRPCStatus().Code() == codes.NotFound
}

// IsNotFound reports whether err says the queried object does not exist.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNotFound) || status.Code(err) == codes.NotFound
}
